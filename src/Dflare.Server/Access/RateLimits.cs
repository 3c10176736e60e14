using System.Globalization;
using System.Threading.RateLimiting;
using Dflare.Core.Identity;
using Dflare.Server.Api.Problems;
using Dflare.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Dflare.Server.Access;

/// <summary>
/// Per-tenant and per-credential request limits on the API (fixed one-minute windows), so one tenant or one runaway
/// script cannot starve the others. A refused request answers 429 with <c>Retry-After</c> and a problem document.
/// Anonymous requests (sign-in) are limited per client address.
/// </summary>
internal static class RateLimits
{
    public static IServiceCollection AddDflareRateLimits(this IServiceCollection services)
    {
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<ApiOptions>>((limiter, api) =>
        {
            var perTenant = api.Value.TenantRequestsPerMinute;
            var perToken = api.Value.TokenRequestsPerMinute;
            limiter.GlobalLimiter = PartitionedRateLimiter.CreateChained(
                PartitionedRateLimiter.Create<HttpContext, string>(http => Window(http, "tenant:" + TenantOf(http), perTenant)),
                PartitionedRateLimiter.Create<HttpContext, string>(http => Window(http, "token:" + CredentialOf(http), perToken)));
            limiter.OnRejected = async (context, cancellationToken) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
                var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
                context.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                await new ProblemResult(Problem.Create(StatusCodes.Status429TooManyRequests, ProblemCodes.RateLimited, "Too many requests.",
                    $"The request limit of this tenant or credential is spent; try again in {seconds} s.")).ExecuteAsync(context.HttpContext);
            };
        });
        return services;
    }

    /// <summary>The API, the realms' endpoints and the portal's sign-in page are limited; probes, metrics, the portal's
    /// other pages (each an API call that is) and the machine protocols (agents, boot) are not.</summary>
    private static RateLimitPartition<string> Window(HttpContext http, string key, int permits) =>
        permits == 0 || !(http.Request.Path.StartsWithSegments("/api") || http.Request.Path.StartsWithSegments("/realms")
                          || http.Request.Path.StartsWithSegments("/portal/signin"))
        ? RateLimitPartition.GetNoLimiter("unlimited")
        : RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = permits, Window = TimeSpan.FromMinutes(1), QueueLimit = 0, AutoReplenishment = true,
        });

    private static string TenantOf(HttpContext http) =>
        http.User.Identity?.IsAuthenticated == true ? AccessSubject.From(http.User)?.Tenant ?? Realms.Platform : "anonymous:" + http.Connection.RemoteIpAddress;

    /// <summary>The access token's id, or the account for credentials without one (the bootstrap credential).</summary>
    private static string CredentialOf(HttpContext http) =>
        http.User.FindFirst("jti")?.Value ?? http.User.FindFirst(AccessSubject.SubjectClaim)?.Value ?? "anonymous:" + http.Connection.RemoteIpAddress;
}
