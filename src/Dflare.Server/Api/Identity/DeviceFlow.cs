using System.Net;
using System.Security.Cryptography;
using Dflare.Core.Identity;
using Dflare.Persistence.Identity;
using Dflare.Persistence.Store;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dflare.Server.Api.Identity;

/// <summary>
/// RFC 8628 for <c>dflare login</c> in a terminal: the terminal asks for a device code and shows its user a short
/// user code and a page; the user signs in on that page (any browser) and approves; the terminal, polling the token
/// endpoint no faster than the interval, then receives its tokens, once.
/// </summary>
internal static class DeviceFlow
{
    public const string GrantType = "urn:ietf:params:oauth:grant-type:device_code";
    /// <summary>RFC 8628 §6.1: consonants only, so no code spells a word; 20^8 codes.</summary>
    private const string Alphabet = "BCDFGHJKLMNPQRSTVWXZ";

    public static async Task<IResult> AuthorizeAsync(
        string realm, HttpContext http, DflareDbContext db, IssuerAddress issuer, IOptions<IdentityOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!http.Request.HasFormContentType)
        {
            return OAuthError.Of("invalid_request", "Send the request as application/x-www-form-urlencoded.");
        }
        if (!await RealmDirectory.ExistsAsync(db, realm, cancellationToken))
        {
            return OAuthError.Of("invalid_request", $"There is no realm '{realm}'.", StatusCodes.Status404NotFound);
        }
        var form = await http.Request.ReadFormAsync(cancellationToken);
        string client;
        try
        {
            client = TokenGrants.PublicClient(form["client_id"].ToString());
        }
        catch (GrantException ex)
        {
            return OAuthError.InvalidClient(ex.Message);
        }
        var deviceCode = TokenService.NewSecret("dfd_");
        var userCode = new string([.. Enumerable.Range(0, 8).Select(_ => Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)])]);
        var now = time.GetUtcNow();
        var lifetime = TimeSpan.FromMinutes(options.Value.DeviceCodeMinutes);
        db.DeviceAuthorizations.Add(new DeviceAuthorizationRow
        {
            Id = Guid.CreateVersion7(), Realm = realm, DeviceCodeHash = TokenService.HashSecret(deviceCode), UserCode = userCode,
            ClientId = client, State = States.Pending, CreatedAt = now, ExpiresAt = now + lifetime,
        });
        await db.SaveChangesAsync(cancellationToken);
        var page = $"{issuer.For(realm)}/device";
        var shown = $"{userCode[..4]}-{userCode[4..]}";
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Json(new Dictionary<string, object>
        {
            ["device_code"] = deviceCode, ["user_code"] = shown, ["verification_uri"] = page,
            ["verification_uri_complete"] = $"{page}?user_code={shown}", ["expires_in"] = (int)lifetime.TotalSeconds,
            ["interval"] = options.Value.DevicePollSeconds,
        });
    }

    public static async Task<TokenResponse> RedeemAsync(
        DflareDbContext db, TokenService tokens, TimeProvider time, string realm, string client, string deviceCode, IdentityOptions options, CancellationToken cancellationToken)
    {
        var hash = TokenService.HashSecret(deviceCode);
        var row = await db.DeviceAuthorizations.FirstOrDefaultAsync(d => d.DeviceCodeHash == hash && d.Realm == realm && d.ClientId == client, cancellationToken)
            ?? throw new GrantException("invalid_grant", "The device code is not known to this realm and client.");
        var now = time.GetUtcNow();
        if (row.ExpiresAt <= now)
        {
            throw new GrantException("expired_token", "The device code expired; start the sign-in again.");
        }
        // A little slack: requests sent an interval apart can arrive a few milliseconds closer together.
        var tooSoon = row.LastPolledAt is { } last && now - last < TimeSpan.FromSeconds(options.DevicePollSeconds * 0.8);
        row.LastPolledAt = now;
        switch (row.State)
        {
            case States.Pending:
                await db.SaveChangesAsync(cancellationToken);
                throw tooSoon
                    ? new GrantException("slow_down", $"Poll at most every {options.DevicePollSeconds} s; wait 5 s more from now on.")
                    : new GrantException("authorization_pending", "The user has not approved the sign-in yet.");
            case States.Denied:
                throw new GrantException("access_denied", "The user refused the sign-in.");
            case States.Redeemed:
                throw new GrantException("invalid_grant", "The device code was already exchanged for tokens.");
        }
        await db.SaveChangesAsync(cancellationToken); // the poll time
        // Redeemed with a conditional update: two polls racing on an approved code get tokens once.
        var redeemed = await db.DeviceAuthorizations.Where(d => d.Id == row.Id && d.State == States.Approved)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.State, States.Redeemed), cancellationToken);
        if (redeemed == 0)
        {
            throw new GrantException("invalid_grant", "The device code was already exchanged for tokens.");
        }
        var principal = await db.Principals.FirstOrDefaultAsync(p => p.Id == row.PrincipalId, cancellationToken);
        if (principal is null || principal.Disabled)
        {
            throw new GrantException("access_denied", "The account that approved the sign-in no longer exists or is disabled.");
        }
        return await tokens.IssueAsync(principal, client, withRefreshToken: true, family: null, cancellationToken);
    }

    public static IResult Page(string realm, HttpContext http) =>
        Page(realm, http.Request.Query["user_code"].ToString(), null, StatusCodes.Status200OK);

    public static async Task<IResult> ApproveAsync(string realm, HttpContext http, DflareDbContext db, PasswordHasher hasher, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!http.Request.HasFormContentType)
        {
            return Page(realm, "", "Send the form.", StatusCodes.Status400BadRequest);
        }
        var form = await http.Request.ReadFormAsync(cancellationToken);
        var shown = form["user_code"].ToString();
        var code = shown.Replace("-", "", StringComparison.Ordinal).Trim().ToUpperInvariant();
        var now = time.GetUtcNow();
        // The person first, then the code: the page tells nothing about codes to someone who cannot sign in.
        var user = await TokenGrants.UserAsync(db, hasher, realm, form["username"].ToString(), form["password"].ToString(), cancellationToken);
        if (user is null)
        {
            return Page(realm, shown, "The user name or password is wrong.", StatusCodes.Status401Unauthorized);
        }
        var row = await db.DeviceAuthorizations.FirstOrDefaultAsync(
            d => d.Realm == realm && d.UserCode == code && d.State == States.Pending && d.ExpiresAt > now, cancellationToken);
        if (row is null)
        {
            return Page(realm, shown, "That code is not waiting for approval here: it is mistyped, expired or already used.", StatusCodes.Status400BadRequest);
        }
        var approve = form["action"].ToString() != "deny";
        row.State = approve ? States.Approved : States.Denied;
        row.PrincipalId = user.Id;
        await db.SaveChangesAsync(cancellationToken);
        return Html(approve ? "Signed in. You can return to your terminal." : "Sign-in refused. The terminal will be told.", StatusCodes.Status200OK);
    }

    private static ContentHttpResult Page(string realm, string userCode, string? error, int status)
    {
        Func<string?, string?> e = WebUtility.HtmlEncode;
        return SignInPages.Html($"Sign in to {realm}", $"""
            <h1>Approve a terminal's sign-in to {e(realm)}</h1>
            {SignInPages.Alert(error)}
            <form method="post">
              <label>Code shown in your terminal <input name="user_code" value="{e(userCode)}" autocomplete="off" required></label>
              <label>User name <input name="username" autocomplete="username" required></label>
              <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
              <button name="action" value="approve">Approve</button> <button class="secondary" name="action" value="deny">Deny</button>
            </form>
            """, status);
    }

    private static ContentHttpResult Html(string body, int status) => SignInPages.Html("Sign-in", $"<p>{body}</p>", status);

    internal static class States
    {
        public const string Pending = "Pending";
        public const string Approved = "Approved";
        public const string Denied = "Denied";
        public const string Redeemed = "Redeemed";
    }
}
