using Dflare.Client.Api;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Dflare.Server.Portal;

/// <summary>
/// What every signed-in page has: the session, the tenants an operator can switch between, and one way to show a
/// refusal of the API — the problem's detail and code in an alert, with the API's status — instead of a broken page.
/// An expired sign-in sends the person back to sign in.
/// </summary>
public abstract class PortalPage : PageModel
{
    public PortalSession Session { get; private set; } = null!;

    public ApiProblem? Problem { get; protected set; }

    /// <summary>For operators: the tenants to pick from.</summary>
    public IReadOnlyList<string> Tenants { get; private set; } = [];

    /// <summary>The nav entry this page belongs to.</summary>
    public abstract string Section { get; }

    public override async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        var session = await PortalSession.OpenAsync(HttpContext);
        if (session is null)
        {
            context.Result = new ChallengeResult(PortalSession.Scheme);
            return;
        }
        Session = session;
        if (session.IsOperator && Request.Query["tenant"].ToString() is { Length: > 0 } picked && picked == session.Tenant)
        {
            Response.Cookies.Append(PortalSession.TenantCookie, picked, new CookieOptions { Path = PortalServices.Root, HttpOnly = true, SameSite = SameSiteMode.Lax, IsEssential = true });
        }
        var executed = await next();
        if (executed.Exception is DflareApiException refused && !executed.ExceptionHandled)
        {
            executed.ExceptionHandled = true;
            if (refused.Status == StatusCodes.Status401Unauthorized)
            {
                await HttpContext.SignOutAsync(PortalSession.Scheme);
                executed.Result = new RedirectResult($"{PortalServices.Root}/signin?expired=1");
                return;
            }
            Problem = refused.Problem;
            Response.StatusCode = refused.Status;
            executed.Result = new PageResult();
        }
        else if (executed.Exception is HttpRequestException unreachable && !executed.ExceptionHandled)
        {
            executed.ExceptionHandled = true;
            Problem = new ApiProblem(StatusCodes.Status503ServiceUnavailable, "api-unreachable", "The API did not answer.", $"The portal could not reach the API: {unreachable.Message}", [], null);
            Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            executed.Result = new PageResult();
        }
        if (session.IsOperator && executed.Result is PageResult)
        {
            try
            {
                Tenants = [.. (await PortalLists.AllAsync(session, "tenants", HttpContext.RequestAborted)).Select(t => Fields.Text(t, "metadata.name"))];
            }
            catch (DflareApiException)
            {
                // An operator without tenants.read sees no switcher.
            }
        }
    }

    /// <summary>The tenant the page works in, or null (an operator who has not picked one yet).</summary>
    protected string? Tenant => Session.Tenant;
}
