using Dflare.Core.Inventory;
using Dflare.Core.Secrets;
using Dflare.Server.Api.Resources;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Dflare.Server.Api.Inventory;

/// <summary>The operator's description of the datacenter: <c>/api/v1/sites</c>, <c>/racks</c>, <c>/skus</c> and <c>/nodes</c>.</summary>
public static class InventoryEndpoints
{
    public static void MapInventory(this RouteGroupBuilder api)
    {
        api.MapGroup("/sites").MapResource(new SiteKind(), ScopeResolvers.Platform);
        api.MapGroup("/racks").MapResource(new RackKind(), ScopeResolvers.Platform);
        api.MapGroup("/skus").MapResource(new SkuKind(), ScopeResolvers.Platform);
        var services = ((IEndpointRouteBuilder)api).ServiceProvider;
        api.MapGroup("/nodes").MapResource(new NodeKind(services.GetRequiredService<SecretProtector>), ScopeResolvers.Platform);
    }
}
