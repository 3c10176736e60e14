using System.Text.Json;
using Dflare.Persistence.Api;
using Dflare.Persistence.Store;
using Dflare.Server.Api.Problems;
using Dflare.Server.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dflare.Server.Api.Idempotency;

/// <summary>
/// Remembers the first answer to a keyed create. The record is staged on the same context as the created object,
/// so both commit in one transaction: a retry after a crash either replays or creates, never half of each.
/// </summary>
public sealed class IdempotencyStore(DflareDbContext db, TimeProvider time, IOptions<ApiOptions> api, IOptions<JsonOptions> json)
{
    /// <summary>The replayed first answer, a 422 for the same key with another body, or null to go ahead.</summary>
    public async Task<IResult?> ReplayAsync(IdempotencyRequest request, CancellationToken cancellationToken)
    {
        var record = await db.IdempotencyRecords
            .FirstOrDefaultAsync(r => r.Scope == request.Scope && r.Key == request.Key, cancellationToken);
        if (record is null)
        {
            return null;
        }
        if (record.ExpiresAt <= time.GetUtcNow())
        {
            db.IdempotencyRecords.Remove(record);
            return null;
        }
        if (record.RequestHash != request.RequestHash)
        {
            return Problem.Of(StatusCodes.Status422UnprocessableEntity, ProblemCodes.IdempotencyKeyReused,
                "The Idempotency-Key was used with another body.",
                $"Key '{request.Key}' was first sent with a different body; use a new key for a different request.");
        }
        return new ReplayResult(record);
    }

    public void Stage(IdempotencyRequest request, int statusCode, object response, string? location, string? etag)
    {
        var now = time.GetUtcNow();
        db.IdempotencyRecords.Add(new IdempotencyRecordRow
        {
            Scope = request.Scope,
            Key = request.Key,
            RequestHash = request.RequestHash,
            StatusCode = statusCode,
            ResponseBody = JsonSerializer.Serialize(response, response.GetType(), json.Value.SerializerOptions),
            Location = location,
            Etag = etag,
            CreatedAt = now,
            ExpiresAt = now.AddHours(api.Value.IdempotencyKeyRetentionHours),
        });
    }

    private sealed class ReplayResult(IdempotencyRecordRow record) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.StatusCode = record.StatusCode;
            response.ContentType = "application/json; charset=utf-8";
            response.Headers[IdempotencyRequest.ReplayedHeaderName] = "true";
            if (record.Location is not null)
            {
                response.Headers.Location = record.Location;
            }
            if (record.Etag is not null)
            {
                response.Headers.ETag = record.Etag;
            }
            await response.WriteAsync(record.ResponseBody, httpContext.RequestAborted);
        }
    }
}
