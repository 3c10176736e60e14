using System.Globalization;
using Dflare.Core.Identity;
using Dflare.Persistence.Identity;
using Dflare.Persistence.Store;
using Dflare.Server.Access;
using Dflare.Server.Api.Problems;
using Dflare.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dflare.Server.Api.Audit;

public sealed record AuditEntry(
    long Sequence, DateTimeOffset At, string? Tenant, string Actor, string Action, string? Permission, string Decision, int Status,
    string? Reason, string? CorrelationId, string Hash);

public sealed record AuditPage(IReadOnlyList<AuditEntry> Items, long? NextAfter);

/// <summary><c>/api/v1/audit</c>: the hash-chained log of every change and every refusal, and its verification.</summary>
public static class AuditEndpoints
{
    public static void MapAudit(this RouteGroupBuilder api)
    {
        api.MapGet("/audit", ListAsync).RequirePermissionForCaller(Permissions.AuditRead).WithName("listAuditEntries").WithTags("Audit")
            .WithSummary("Audit entries in order, from ?after=N, ?limit at a time: a tenant sees its own, an operator all (or ?tenant=).")
            .Produces<AuditPage>().ProducesProblem(StatusCodes.Status400BadRequest);
        api.MapPost("/audit/verify", async (AuditLog audit, CancellationToken ct) => TypedResults.Ok(await audit.VerifyAsync(ct)))
            .RequirePermission(Permissions.AuditVerify).WithName("verifyAudit").WithTags("Audit")
            .WithSummary("Walk the whole chain and every signed checkpoint; names the first entry that was changed, deleted, inserted or reordered.")
            .Produces<AuditVerification>();
        api.MapPost("/audit/checkpoints", async (AuditLog audit, CancellationToken ct) =>
            {
                await audit.CheckpointAsync(ct);
                return TypedResults.NoContent();
            })
            .RequirePermission(Permissions.AuditVerify).WithName("signAuditCheckpoint").WithTags("Audit")
            .WithSummary("Sign a checkpoint at the log's current head now (one is also signed every Identity:AuditCheckpointEvery entries).")
            .Produces(StatusCodes.Status204NoContent);
    }

    private static async Task<IResult> ListAsync(HttpContext http, DflareDbContext db, IOptions<ApiOptions> api, CancellationToken cancellationToken)
    {
        var query = http.Request.Query;
        long after = 0;
        if (query.TryGetValue("after", out var afterText) && !long.TryParse(afterText, NumberStyles.None, CultureInfo.InvariantCulture, out after))
        {
            return Problem.BadQuery(ProblemCodes.InvalidQuery, "after", "'after' must be an entry's sequence number.");
        }
        var limit = api.Value.DefaultPageSize;
        if (query.TryGetValue("limit", out var limitText)
            && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > api.Value.MaxPageSize))
        {
            return Problem.BadQuery(ProblemCodes.PageSizeTooLarge, "limit", $"'limit' must be 1 to {api.Value.MaxPageSize}.");
        }
        IQueryable<AuditEntryRow> rows = db.AuditEntries.AsNoTracking().Where(e => e.Sequence > after);
        var own = http.Subject().Tenant;
        var tenant = own ?? (query.TryGetValue("tenant", out var t) ? t.ToString() : null);
        if (tenant is not null)
        {
            rows = rows.Where(e => e.Tenant == tenant);
        }
        if (own is not null)
        {
            // A tenant of a reused name sees nothing of the one deleted before it.
            var since = await db.Tenants.AsNoTracking().Where(t => t.Name == own).Select(t => (DateTimeOffset?)t.CreatedAt).FirstOrDefaultAsync(cancellationToken);
            rows = since is { } created ? rows.Where(e => e.At >= created) : rows.Where(_ => false);
        }
        var page = await rows.OrderBy(e => e.Sequence).Take(limit + 1).ToListAsync(cancellationToken);
        var items = page.Take(limit).Select(e => new AuditEntry(e.Sequence, e.At, e.Tenant, e.Actor, e.Action, e.Permission, e.Decision, e.Status, e.Reason, e.CorrelationId, e.Hash)).ToList();
        return TypedResults.Ok(new AuditPage(items, page.Count > limit ? items[^1].Sequence : null));
    }
}
