using System.Security.Claims;
using System.Text.Encodings.Web;
using Dflare.Server.Api.Problems;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dflare.Server.Access;

/// <summary>Accepts <c>Authorization: Bearer &lt;admin credential&gt;</c>; answers 401 and 403 as problem documents.</summary>
internal sealed class AdminCredentialAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "AdminCredential";
    public const string PlatformAdminRole = "platform-admin";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }
        var presented = header["Bearer ".Length..].Trim();
        var credentials = Context.RequestServices.GetRequiredService<AdminCredentials>();
        var row = await credentials.FindAsync(presented, Context.RequestAborted);
        if (row is null)
        {
            return AuthenticateResult.Fail("The bearer credential is not known.");
        }
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, row.Id.ToString()), new Claim(ClaimTypes.Name, row.Name), new Claim(ClaimTypes.Role, PlatformAdminRole)],
            SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer realm=\"dflare\"";
        await new ProblemResult(Problem.Create(StatusCodes.Status401Unauthorized, ProblemCodes.Unauthenticated, "Authentication is required.",
            "Send Authorization: Bearer <credential>. The admin credential is printed once on first start; `dflare-server rotate-admin-credential` issues a new one."))
            .ExecuteAsync(Context);
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        await new ProblemResult(Problem.Create(StatusCodes.Status403Forbidden, ProblemCodes.Forbidden, "Not allowed.",
            "The credential is valid but may not do this.")).ExecuteAsync(Context);
}
