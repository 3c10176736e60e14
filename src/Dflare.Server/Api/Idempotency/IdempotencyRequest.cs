using System.Security.Claims;
using Dflare.Server.Api.Problems;
using Microsoft.AspNetCore.Http;

namespace Dflare.Server.Api.Idempotency;

/// <summary>A create sent with an <c>Idempotency-Key</c> header: who sent it where, the key, and the body's hash.</summary>
public sealed record IdempotencyRequest(string Scope, string Key, string RequestHash)
{
    public const string HeaderName = "Idempotency-Key";
    public const string ReplayedHeaderName = "Idempotent-Replayed";
    private const int MaxKeyLength = 255;

    /// <summary>No header: (null, null). A bad key: (null, problem).</summary>
    public static (IdempotencyRequest? Request, IResult? Problem) From(HttpContext http, string requestHash)
    {
        var values = http.Request.Headers[HeaderName];
        if (values.Count == 0)
        {
            return (null, null);
        }
        var key = values.ToString();
        if (values.Count > 1 || key.Length is 0 or > MaxKeyLength || key.Any(c => c is < '!' or > '~'))
        {
            return (null, Problem.Of(StatusCodes.Status400BadRequest, ProblemCodes.InvalidIdempotencyKey, "The Idempotency-Key is not valid.",
                $"Send one {HeaderName} of 1 to {MaxKeyLength} visible ASCII characters, such as a UUID."));
        }
        // Keys are per caller and per collection: two callers, or two collections, never share an answer.
        var caller = http.User.FindFirstValue(ClaimTypes.NameIdentifier) ?? "anonymous";
        var scope = $"{caller} {http.Request.Method} {http.Request.PathBase}{http.Request.Path}";
        return (new IdempotencyRequest(scope, key, requestHash), null);
    }
}
