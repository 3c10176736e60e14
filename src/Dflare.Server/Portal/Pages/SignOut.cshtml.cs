using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Dflare.Server.Portal.Pages;

/// <summary>Signs out: the refresh token is revoked at the realm (so the session ends there too), the cookie goes.</summary>
public sealed class SignOutModel : PageModel
{
    public IActionResult OnGet() => Redirect(PortalServices.Root + "/");

    public async Task<IActionResult> OnPostAsync()
    {
        var result = await HttpContext.AuthenticateAsync(PortalSession.Scheme);
        if (result.Properties?.GetString(PortalSession.RefreshTokenItem) is { Length: > 0 } refresh
            && result.Principal?.FindFirst(Dflare.Core.Identity.AccessSubject.RealmClaim)?.Value is { } realm)
        {
            using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = refresh, ["client_id"] = PortalServices.ClientId });
            using var revoked = await PortalServices.ApiFor(HttpContext).PostAsync($"realms/{realm}/protocol/openid-connect/revoke", form, HttpContext.RequestAborted);
        }
        await HttpContext.SignOutAsync(PortalSession.Scheme);
        return Redirect(PortalServices.Root + "/signin");
    }
}
