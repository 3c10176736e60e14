using System.Text.Json.Nodes;

namespace Dflare.Server.Portal.Pages.Clusters;

/// <summary>The tenant's clusters.</summary>
public sealed class IndexModel : PortalPage
{
    public override string Section => "clusters";

    public IReadOnlyList<JsonObject> Clusters { get; private set; } = [];

    public async Task OnGetAsync() => Clusters = await PortalLists.AllAsync(Session, Tenant is null ? null : $"tenants/{Tenant}/clusters", HttpContext.RequestAborted);
}
