using System.Text.Json.Nodes;

namespace Dflare.Server.Portal.Pages;

/// <summary>The tenant's volumes with their quota and usage.</summary>
public sealed class VolumesModel : PortalPage
{
    public override string Section => "volumes";

    public IReadOnlyList<JsonObject> Volumes { get; private set; } = [];

    public async Task OnGetAsync() => Volumes = await PortalLists.AllAsync(Session, Tenant is null ? null : $"tenants/{Tenant}/volumes", HttpContext.RequestAborted);
}
