using Microsoft.AspNetCore.Mvc;

namespace Dflare.Server.Portal.Pages.Clusters;

/// <summary>The live part of a cluster's page, as a fragment the page's script swaps in every second until it settles.</summary>
public sealed class ProgressModel : PortalPage
{
    public override string Section => "clusters";

    [FromRoute]
    public string Name { get; set; } = "";

    public ClusterProgress? Progress { get; private set; }

    public async Task OnGetAsync()
    {
        Response.Headers.CacheControl = "no-store";
        if (Tenant is not null)
        {
            Progress = await ClusterProgress.LoadAsync(Session, Tenant, Name, HttpContext.RequestAborted);
        }
    }
}
