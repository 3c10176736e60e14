using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Dflare.Client.Api;
using Dflare.Client.Identity;
using Dflare.Core.Identity;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.IdentityModel.Tokens;

namespace Dflare.Server.Portal.Pages;

/// <summary>
/// Sign-in: with an account, through the realm's own sign-in page (authorization code with PKCE: the verifier and
/// state wait in a short-lived encrypted cookie), or, for operators, with an API credential checked against the
/// platform realm's UserInfo.
/// </summary>
public sealed class SignInModel(IDataProtectionProvider protection, TimeProvider time) : PageModel
{
    internal const string PendingCookie = "dflare_signin";
    internal const string Purpose = "portal-signin";

    public string Realm { get; private set; } = Realms.Platform;

    public string? ReturnUrl { get; private set; }

    public string? Message { get; private set; }

    public void OnGet(string? realm, string? returnUrl, string? expired, string? error)
    {
        Realm = realm is { Length: > 0 } r && Realms.IsValidName(r) ? r : Realms.Platform;
        ReturnUrl = LocalOnly(returnUrl);
        Message = expired is not null ? "Your sign-in expired; sign in again." : error;
    }

    public IActionResult OnPostRealm(string realm, string? returnUrl)
    {
        if (!Realms.IsValidName(realm ?? ""))
        {
            Message = "A realm is a tenant's name: lower-case letters, digits and dashes.";
            ReturnUrl = LocalOnly(returnUrl);
            return Page();
        }
        var verifier = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        var state = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(16));
        var pending = string.Join('\n', state, verifier, realm, LocalOnly(returnUrl) ?? "");
        Response.Cookies.Append(PendingCookie, protection.CreateProtector(Purpose).Protect(pending), new CookieOptions
        {
            Path = PortalServices.Root, HttpOnly = true, SameSite = SameSiteMode.Lax, Secure = Request.IsHttps, IsEssential = true,
            Expires = time.GetUtcNow().AddMinutes(10),
        });
        var query = new Dictionary<string, string>
        {
            ["response_type"] = "code", ["client_id"] = PortalServices.ClientId, ["redirect_uri"] = CallbackUri(Request), ["state"] = state,
            ["code_challenge"] = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))), ["code_challenge_method"] = "S256",
        };
        return Redirect($"/realms/{realm}/protocol/openid-connect/auth?" + string.Join('&', query.Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value)}")));
    }

    public async Task<IActionResult> OnPostTokenAsync(string token, string? returnUrl)
    {
        UserInfo who;
        try
        {
            who = await UserInfo.ReadAsync(new DflareClient(PortalServices.ApiFor(HttpContext), new StaticCredential(token ?? "")), Realms.Platform, HttpContext.RequestAborted);
        }
        catch (DflareApiException)
        {
            Message = "That credential is not accepted by the platform realm.";
            ReturnUrl = LocalOnly(returnUrl);
            Response.StatusCode = StatusCodes.Status401Unauthorized;
            return Page();
        }
        // The credential does not expire by itself: the cookie carrying it lasts an hour from sign-in, not sliding.
        var properties = new AuthenticationProperties { ExpiresUtc = time.GetUtcNow().AddHours(1), AllowRefresh = false };
        properties.SetString(PortalSession.StaticTokenItem, token);
        await SignInAsync(HttpContext, who, properties);
        return LocalRedirect(LocalOnly(returnUrl) ?? PortalServices.Root + "/");
    }

    internal static string CallbackUri(HttpRequest request) => $"{request.Scheme}://{request.Host}{Dflare.Server.Api.Identity.AuthorizationCodeFlow.PortalCallbackPath}";

    internal static Task SignInAsync(HttpContext http, UserInfo who, AuthenticationProperties properties)
    {
        var identity = new ClaimsIdentity(
        [
            new Claim(AccessSubject.RealmClaim, who.Realm), new Claim(AccessSubject.NameClaim, who.Name), new Claim(AccessSubject.SubjectClaim, who.Subject),
        ], PortalSession.Scheme, AccessSubject.NameClaim, AccessSubject.RolesClaim);
        return http.SignInAsync(PortalSession.Scheme, new ClaimsPrincipal(identity), properties);
    }

    /// <summary>Only paths of the portal: a sign-in never sends anyone elsewhere.</summary>
    internal static string? LocalOnly(string? url) =>
        url is { Length: > 0 } && url.StartsWith(PortalServices.Root + "/", StringComparison.Ordinal) && !url.Contains('\\', StringComparison.Ordinal)
        && !url.Any(char.IsControl) ? url : null;
}
