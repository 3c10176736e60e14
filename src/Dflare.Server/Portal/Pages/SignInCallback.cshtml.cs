using Dflare.Client.Api;
using Dflare.Client.Identity;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Dflare.Server.Portal.Pages;

/// <summary>Where the realm sends the browser back: the state must match the pending sign-in's, then the code and
/// the PKCE verifier are exchanged for the person's tokens, which go into the sign-in cookie.</summary>
public sealed class SignInCallbackModel(IDataProtectionProvider protection, TimeProvider time) : PageModel
{
    public string Message { get; private set; } = "";

    public async Task<IActionResult> OnGetAsync(string? code, string? state, string? error, string? error_description)
    {
        var cookie = Request.Cookies[SignInModel.PendingCookie];
        Response.Cookies.Delete(SignInModel.PendingCookie, new CookieOptions { Path = PortalServices.Root });
        string[] pending;
        try
        {
            pending = cookie is null ? [] : protection.CreateProtector(SignInModel.Purpose).Unprotect(cookie).Split('\n');
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            pending = [];
        }
        if (pending.Length != 4 || state is null || pending[0] != state)
        {
            return Fail("This sign-in was not started here, or it took too long.");
        }
        if (error is not null)
        {
            return error == "access_denied" ? Redirect(PortalServices.Root + "/signin") : Fail(error_description ?? error);
        }
        var (verifier, realm, returnUrl) = (pending[1], pending[2], pending[3]);
        var http = PortalServices.ApiFor(HttpContext);
        try
        {
            var signIn = await TokenEndpoint.GrantAsync(http, new Uri(http.BaseAddress!, $"realms/{realm}"), new Dictionary<string, string>
            {
                ["grant_type"] = "authorization_code", ["client_id"] = PortalServices.ClientId, ["code"] = code ?? "", ["code_verifier"] = verifier,
                ["redirect_uri"] = SignInModel.CallbackUri(Request),
            }, HttpContext.RequestAborted);
            var tokens = TokenSet.From(signIn, time.GetUtcNow());
            var who = await UserInfo.ReadAsync(new DflareClient(http, new StaticCredential(tokens.AccessToken)), realm, HttpContext.RequestAborted);
            var properties = new AuthenticationProperties();
            PortalSession.Store(properties, tokens);
            await SignInModel.SignInAsync(HttpContext, who, properties);
        }
        catch (DflareApiException ex)
        {
            return Fail($"The realm refused the sign-in: {ex.Problem.Detail ?? ex.Code}.");
        }
        return LocalRedirect(SignInModel.LocalOnly(returnUrl) ?? PortalServices.Root + "/");
    }

    private PageResult Fail(string message)
    {
        Message = message;
        Response.StatusCode = StatusCodes.Status400BadRequest;
        return Page();
    }
}
