using System.Text.Json.Nodes;

namespace Dflare.Server.Portal.Pages;

/// <summary>The tenant's VPCs (VRF, VNI, PKey) and subnets (CIDR, VNI, VLAN per leaf).</summary>
public sealed class NetworksModel : PortalPage
{
    public override string Section => "networks";

    public IReadOnlyList<JsonObject> Vpcs { get; private set; } = [];

    public IReadOnlyList<JsonObject> Subnets { get; private set; } = [];

    public async Task OnGetAsync()
    {
        Vpcs = await PortalLists.AllAsync(Session, Tenant is null ? null : $"tenants/{Tenant}/vpcs", HttpContext.RequestAborted);
        Subnets = await PortalLists.AllAsync(Session, Tenant is null ? null : $"tenants/{Tenant}/subnets", HttpContext.RequestAborted);
    }
}
