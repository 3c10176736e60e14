using Dflare.Core.Inventory;
using System.Text.Json.Nodes;
using Dflare.Core.Provisioning;
using Dflare.Core.Secrets;
using Dflare.Core.Workflows;
using Dflare.Persistence.Store;
using Dflare.Server.Api.Problems;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
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
        var nodes = api.MapGroup("/nodes").MapResource(new NodeKind(services.GetRequiredService<SecretProtector>), ScopeResolvers.Platform);
        nodes.MapPost("{name}/inspect", InspectAsync).WithName("inspectNode")
            .WithSummary("Read the node's hardware through its BMC and check it against its SKU; answers the operation.")
            .Produces<Operation>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
    }

    private static async Task<IResult> InspectAsync(DflareDbContext db, WorkflowClient workflows, string name, CancellationToken cancellationToken)
    {
        if (!await db.Nodes.AnyAsync(n => n.Name == name, cancellationToken))
        {
            return Problem.NotFound(Node.KindName, name);
        }
        var run = await workflows.StartAsync(db, InspectNodeWorkflow.Name, InspectNodeWorkflow.Target(name), new JsonObject { ["node"] = name }, cancellationToken);
        if (run is null)
        {
            return Problem.Of(StatusCodes.Status409Conflict, ProblemCodes.OperationInProgress, "An inspection is already running.",
                $"Node '{name}' is being inspected; follow its operation in /api/v1/operations?target={InspectNodeWorkflow.Target(name)}.");
        }
        var steps = await db.WorkflowSteps.AsNoTracking().Where(s => s.RunId == run.Id).OrderBy(s => s.Index).ToListAsync(cancellationToken);
        return TypedResults.Accepted($"/api/v1/operations/{run.Id}", Operation.From(run, steps));
    }
}
