using System.Security.Claims;
using System.Text.Encodings.Web;
using Dflare.Core.Identity;
using Dflare.Server.Api.Problems;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dflare.Server.Access;

/// <summary>
/// <c>Authorization: Bearer …</c>: a realm's access token (a JWT, checked by <see cref="AccessTokenValidator"/>), or
/// the bootstrap admin credential (<c>dfl_…</c>), which stands for a platform-admin of the platform realm. Answers
/// 401 and 403 as problem documents; why a token was refused goes to the log, not to the caller.
/// </summary>
internal sealed partial class BearerAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }
        var presented = header["Bearer ".Length..].Trim();
        if (presented.StartsWith(AdminCredentials.TokenPrefix, StringComparison.Ordinal))
        {
            var row = await Context.RequestServices.GetRequiredService<AdminCredentials>().FindAsync(presented, Context.RequestAborted);
            if (row is null)
            {
                return AuthenticateResult.Fail("The bearer credential is not known.");
            }
            var admin = new AccessSubject(Realms.Platform, row.Id.ToString(), row.Name, PrincipalKinds.ServiceAccount, [], [new RoleGrant(BuiltInRoles.PlatformAdmin, null)]);
            return Success(new ClaimsIdentity(admin.ToClaims(), SchemeName, AccessSubject.NameClaim, AccessSubject.RolesClaim));
        }
        var (principal, error) = await Context.RequestServices.GetRequiredService<AccessTokenValidator>().ValidateAsync(presented, Context.RequestAborted);
        if (principal is null)
        {
            LogRefused(Logger, error!);
            return AuthenticateResult.Fail("The access token is not valid.");
        }
        return Success((ClaimsIdentity)principal.Identity!);
    }

    private static AuthenticateResult Success(ClaimsIdentity identity) =>
        AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer realm=\"dflare\"";
        await new ProblemResult(Problem.Create(StatusCodes.Status401Unauthorized, ProblemCodes.Unauthenticated, "Authentication is required.",
            "Send Authorization: Bearer <access token> from your realm's token endpoint (/realms/{realm}/protocol/openid-connect/token), or the bootstrap admin credential."))
            .ExecuteAsync(Context);
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        await new ProblemResult(Problem.Create(StatusCodes.Status403Forbidden, ProblemCodes.Forbidden, "Not allowed.",
            "The credential is valid but may not do this.")).ExecuteAsync(Context);

    [LoggerMessage(1, LogLevel.Information, "Bearer token refused: {Reason}")]
    private static partial void LogRefused(ILogger logger, string reason);
}
