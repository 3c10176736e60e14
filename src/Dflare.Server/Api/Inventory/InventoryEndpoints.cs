using Dflare.Core.Inventory;
using Dflare.Server.Api.Resources;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace Dflare.Server.Api.Inventory;

/// <summary>The operator's description of the datacenter: <c>/api/v1/sites</c>, <c>/racks</c> and <c>/skus</c>.</summary>
public static class InventoryEndpoints
{
    public static void MapInventory(this RouteGroupBuilder api)
    {
        api.MapGroup("/sites").MapResource(new SiteKind(), ScopeResolvers.Platform);
        api.MapGroup("/racks").MapResource(new RackKind(), ScopeResolvers.Platform);
        api.MapGroup("/skus").MapResource(new SkuKind(), ScopeResolvers.Platform);
    }
}
