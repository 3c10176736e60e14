using System.Net;
using System.Security.Cryptography;
using System.Text;
using Dflare.Core.Identity;
using Dflare.Persistence.Identity;
using Dflare.Persistence.Store;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.Tokens;

namespace Dflare.Server.Api.Identity;

/// <summary>
/// The authorization code flow with PKCE (RFC 6749 §4.1, RFC 7636 S256 only) for the portal: the portal sends the
/// browser to <c>/realms/{realm}/protocol/openid-connect/auth</c>; the person signs in on the realm's own page; the
/// realm sends the browser back to the portal with a code that only the holder of the PKCE verifier can exchange, once,
/// within a minute. Redirect URIs are the portal's callback on this server; an unknown client or redirect URI gets an
/// error page, never a redirect.
/// </summary>
internal static class AuthorizationCodeFlow
{
    public const string GrantType = "authorization_code";
    public const string PortalCallbackPath = "/portal/signin/callback";
    private static readonly TimeSpan CodeLifetime = TimeSpan.FromMinutes(1);

    private sealed record Request(string ClientId, string RedirectUri, string State, string CodeChallenge);

    public static async Task<IResult> PageAsync(string realm, HttpContext http, DflareDbContext db, IssuerAddress issuer, CancellationToken cancellationToken)
    {
        var (request, failure) = await ValidateAsync(realm, http.Request.Query, http, db, issuer, cancellationToken);
        return failure ?? Page(realm, request!, null, StatusCodes.Status200OK);
    }

    public static async Task<IResult> SignInAsync(
        string realm, HttpContext http, DflareDbContext db, IssuerAddress issuer, PasswordHasher hasher, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!http.Request.HasFormContentType)
        {
            return Error("Send the form.", StatusCodes.Status400BadRequest);
        }
        var form = await http.Request.ReadFormAsync(cancellationToken);
        var (request, failure) = await ValidateAsync(realm, form, http, db, issuer, cancellationToken);
        if (failure is not null)
        {
            return failure;
        }
        if (form["action"] == "cancel")
        {
            return Back(request!, new Dictionary<string, string> { ["error"] = "access_denied", ["error_description"] = "The person cancelled the sign-in." });
        }
        var user = await TokenGrants.UserAsync(db, hasher, realm, form["username"].ToString(), form["password"].ToString(), cancellationToken);
        if (user is null)
        {
            return Page(realm, request!, "The user name or password is wrong.", StatusCodes.Status401Unauthorized, form["username"].ToString());
        }
        var code = TokenService.NewSecret("dfc_");
        var now = time.GetUtcNow();
        db.AuthorizationCodes.Add(new AuthorizationCodeRow
        {
            Id = Guid.CreateVersion7(now), Realm = realm, CodeHash = TokenService.HashSecret(code), ClientId = request!.ClientId, RedirectUri = request.RedirectUri,
            CodeChallenge = request.CodeChallenge, PrincipalId = user.Id, CreatedAt = now, ExpiresAt = now + CodeLifetime,
        });
        // Expired codes go as new ones are made: the table holds a minute's worth.
        await db.AuthorizationCodes.Where(c => c.ExpiresAt < now - CodeLifetime).ExecuteDeleteAsync(cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        return Back(request, new Dictionary<string, string> { ["code"] = code });
    }

    /// <summary>The token endpoint's <c>authorization_code</c> grant.</summary>
    public static async Task<TokenResponse> RedeemAsync(
        DflareDbContext db, TokenService tokens, TimeProvider time, string realm, string client, IFormCollection form, CancellationToken cancellationToken)
    {
        var code = Required(form, "code");
        var verifier = Required(form, "code_verifier");
        var redirectUri = Required(form, "redirect_uri");
        var now = time.GetUtcNow();
        var hash = TokenService.HashSecret(code);
        var row = await db.AuthorizationCodes.AsNoTracking().FirstOrDefaultAsync(c => c.CodeHash == hash && c.Realm == realm && c.ClientId == client, cancellationToken);
        if (row is null || row.ExpiresAt <= now)
        {
            throw new GrantException("invalid_grant", "The code is not known to this realm and client, or it expired.");
        }
        if (row.RedirectUri != redirectUri)
        {
            throw new GrantException("invalid_grant", "redirect_uri is not the one the code was issued for.");
        }
        var challenge = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(challenge), Encoding.ASCII.GetBytes(row.CodeChallenge)))
        {
            throw new GrantException("invalid_grant", "code_verifier does not match the code's challenge.");
        }
        // Spent atomically: of two concurrent redemptions, one wins.
        var spent = await db.AuthorizationCodes.Where(c => c.Id == row.Id && c.RedeemedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.RedeemedAt, now), cancellationToken);
        if (spent != 1)
        {
            throw new GrantException("invalid_grant", "The code was already exchanged for tokens.");
        }
        var principal = await db.Principals.FirstOrDefaultAsync(p => p.Id == row.PrincipalId, cancellationToken);
        if (principal is null || principal.Disabled)
        {
            throw new GrantException("access_denied", "The account that signed in no longer exists or is disabled.");
        }
        return await tokens.IssueAsync(principal, client, withRefreshToken: true, family: null, cancellationToken);
    }

    private static async Task<(Request?, IResult?)> ValidateAsync(
        string realm, IEnumerable<KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues>> source, HttpContext http, DflareDbContext db,
        IssuerAddress issuer, CancellationToken cancellationToken)
    {
        var values = source.ToDictionary(p => p.Key, p => p.Value.ToString(), StringComparer.Ordinal);
        string Value(string name) => values.GetValueOrDefault(name) ?? "";
        if (!await RealmDirectory.ExistsAsync(db, realm, cancellationToken))
        {
            return (null, Error($"There is no realm '{realm}'.", StatusCodes.Status404NotFound));
        }
        if (Value("client_id") != "dflare-portal")
        {
            return (null, Error("This sign-in is for the Dflare portal (client_id dflare-portal).", StatusCodes.Status400BadRequest));
        }
        if (!AllowedRedirect(Value("redirect_uri"), http, issuer))
        {
            return (null, Error($"redirect_uri must be this server's {PortalCallbackPath}.", StatusCodes.Status400BadRequest));
        }
        var request = new Request(Value("client_id"), Value("redirect_uri"), Value("state"), Value("code_challenge"));
        if (Value("response_type") != "code")
        {
            return (null, Back(request, new Dictionary<string, string> { ["error"] = "unsupported_response_type", ["error_description"] = "response_type must be code." }));
        }
        if (Value("code_challenge_method") != "S256" || request.CodeChallenge.Length is < 43 or > 128)
        {
            return (null, Back(request, new Dictionary<string, string> { ["error"] = "invalid_request", ["error_description"] = "PKCE with code_challenge_method S256 is required." }));
        }
        return (request, null);
    }

    /// <summary>The portal's callback on this server, under the name the browser used or the issuer's address.</summary>
    private static bool AllowedRedirect(string redirectUri, HttpContext http, IssuerAddress issuer) =>
        Uri.TryCreate(redirectUri, UriKind.Absolute, out var uri) && uri.AbsolutePath == PortalCallbackPath && uri.Query.Length == 0 && uri.Fragment.Length == 0
        && uri.Scheme is "http" or "https"
        && (string.Equals(uri.Authority, http.Request.Host.Value, StringComparison.OrdinalIgnoreCase)
            || string.Equals(uri.GetLeftPart(UriPartial.Authority), issuer.Address.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase));

    private static RedirectHttpResult Back(Request request, Dictionary<string, string> parameters)
    {
        if (request.State.Length > 0)
        {
            parameters["state"] = request.State;
        }
        return TypedResults.Redirect(request.RedirectUri + "?" + string.Join('&', parameters.Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value)}")));
    }

    private static ContentHttpResult Page(string realm, Request request, string? error, int status, string username = "")
    {
        Func<string?, string?> e = WebUtility.HtmlEncode;
        return SignInPages.Html($"Sign in to {realm}", $"""
            <h1>Sign in to {e(realm)}</h1>
            <p>The Dflare portal asks you to sign in with your account in this realm.</p>
            {SignInPages.Alert(error)}
            <form method="post">
              <input type="hidden" name="response_type" value="code"><input type="hidden" name="client_id" value="{e(request.ClientId)}">
              <input type="hidden" name="redirect_uri" value="{e(request.RedirectUri)}"><input type="hidden" name="state" value="{e(request.State)}">
              <input type="hidden" name="code_challenge" value="{e(request.CodeChallenge)}"><input type="hidden" name="code_challenge_method" value="S256">
              <label>User name <input name="username" value="{e(username)}" autocomplete="username" required autofocus></label>
              <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
              <button name="action" value="signin">Sign in</button> <button class="secondary" name="action" value="cancel" formnovalidate>Cancel</button>
            </form>
            """, status);
    }

    private static ContentHttpResult Error(string message, int status) =>
        SignInPages.Html("Sign-in", $"<h1>This sign-in cannot go on</h1>{SignInPages.Alert(message)}", status);

    private static string Required(IFormCollection form, string field) =>
        form[field].ToString() is { Length: > 0 } value ? value : throw new GrantException("invalid_request", $"{field} is required.");
}
