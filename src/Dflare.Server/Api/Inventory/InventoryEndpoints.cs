using Dflare.Core.Identity;
using Dflare.Core.Inventory;
using Dflare.Server.Access;
using Dflare.Core.Provisioning.Images;
using Dflare.Core.Resources;
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
    private static readonly ResourceAccess Access = ResourceAccess.Platform(Permissions.InventoryRead, Permissions.InventoryWrite);

    public static void MapInventory(this RouteGroupBuilder api)
    {
        api.MapGroup("/sites").MapResource(new SiteKind(), ScopeResolvers.Platform, Access);
        api.MapGroup("/racks").MapResource(new RackKind(), ScopeResolvers.Platform, Access);
        api.MapGroup("/skus").MapResource(new SkuKind(), ScopeResolvers.Platform, Access);
        var services = ((IEndpointRouteBuilder)api).ServiceProvider;
        var nodes = api.MapGroup("/nodes").MapResource(new NodeKind(services.GetRequiredService<SecretProtector>), ScopeResolvers.Platform, Access);
        api.MapGroup("/images").MapResource(new GoldenImageKind(), ScopeResolvers.Platform, Access);
        api.MapEnrollment();
        nodes.MapPost("{name}/inspect", (DflareDbContext db, WorkflowClient workflows, string name, CancellationToken ct) =>
                StartAsync(db, workflows, name, InspectNodeWorkflow.Name, NodeState.Inspecting, [NodeState.Enrolled, NodeState.Available, NodeState.Failed, NodeState.Maintenance], ct))
            .RequirePermission(Permissions.NodesOperate).WithName("inspectNode")
            .WithSummary("Read the node's hardware through its BMC and check it against its SKU; answers the operation.")
            .Produces<Operation>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        nodes.MapPost("{name}/provision", (DflareDbContext db, WorkflowClient workflows, string name, CancellationToken ct) =>
                StartAsync(db, workflows, name, ProvisionNodeWorkflow.Name, NodeState.Provisioning, [NodeState.Available, NodeState.Ready, NodeState.Draining], ct))
            .RequirePermission(Permissions.NodesOperate).WithName("provisionNode")
            .WithSummary("PXE boot the node into its golden image, run cloud-init and wait for its agent; answers the operation.")
            .Produces<Operation>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        nodes.MapPost("{name}/revoke-agent", RevokeAgentAsync).RequirePermission(Permissions.NodesOperate).WithName("revokeNodeAgent")
            .WithSummary("Refuse every certificate the node's agent holds, from now on; provisioning the node again issues new ones.")
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status404NotFound);
        nodes.MapGet("{name}/history", HistoryAsync).RequirePermission(Permissions.InventoryRead).WithName("nodeHistory")
            .WithSummary("The node's state transitions, newest first, each with its reason and the operation that made it.")
            .Produces<NodeHistory>().ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static async Task<IResult> StartAsync(
        DflareDbContext db, WorkflowClient workflows, string name, string workflow, NodeState during, NodeState[] from, CancellationToken cancellationToken)
    {
        var node = await db.Nodes.AsNoTracking().FirstOrDefaultAsync(n => n.Name == name, cancellationToken);
        if (node is null)
        {
            return Problem.NotFound(Node.KindName, name);
        }
        var target = $"node/{name}";
        var state = Enum.Parse<NodeState>(node.State);
        if (!from.Contains(state) && state != during)
        {
            // Refused up front, rather than by an operation that fails at once.
            return Problem.Of(StatusCodes.Status409Conflict, ProblemCodes.NodeStateConflict, $"The node cannot start {workflow} now.",
                $"Node '{name}' is {state}; {workflow} starts from {string.Join(", ", from)}.");
        }
        var run = await workflows.StartAsync(db, workflow, target, new JsonObject { ["node"] = name }, cancellationToken);
        if (run is null)
        {
            return Problem.Of(StatusCodes.Status409Conflict, ProblemCodes.OperationInProgress, $"A {workflow} operation is already running.",
                $"Node '{name}' already has one; follow it in /api/v1/operations?target={target}.");
        }
        var steps = await db.WorkflowSteps.AsNoTracking().Where(s => s.RunId == run.Id).OrderBy(s => s.Index).ToListAsync(cancellationToken);
        return TypedResults.Accepted($"/api/v1/operations/{run.Id}", Operation.From(run, steps));
    }

    private static async Task<IResult> RevokeAgentAsync(DflareDbContext db, TimeProvider time, string name, CancellationToken cancellationToken)
    {
        var node = await db.Nodes.AsNoTracking().FirstOrDefaultAsync(n => n.Name == name, cancellationToken);
        if (node is null)
        {
            return Problem.NotFound(Node.KindName, name);
        }
        var agent = await db.NodeAgents.FirstOrDefaultAsync(a => a.NodeId == node.Id, cancellationToken);
        if (agent is not null && agent.RevokedAt is null)
        {
            agent.RevokedAt = time.GetUtcNow();
            agent.Health = Core.Provisioning.Agents.AgentHealth.Unknown;
            agent.HealthReason = "the agent is revoked";
            await db.SaveChangesAsync(cancellationToken);
        }
        return TypedResults.NoContent();
    }

    private static async Task<IResult> HistoryAsync(DflareDbContext db, string name, CancellationToken cancellationToken)
    {
        var node = await db.Nodes.AsNoTracking().FirstOrDefaultAsync(n => n.Name == name, cancellationToken);
        if (node is null)
        {
            return Problem.NotFound(Node.KindName, name);
        }
        var transitions = (await db.NodeTransitions.AsNoTracking().Where(t => t.NodeId == node.Id).ToListAsync(cancellationToken))
            .OrderByDescending(t => t.Id).Take(500)
            .Select(t => new NodeTransition(Envelope.Timestamp(t.At), t.From, t.To, t.Reason, t.RunId)).ToList();
        return TypedResults.Ok(new NodeHistory(name, transitions));
    }
}

/// <summary>A node's history: its state transitions, newest first.</summary>
public sealed record NodeHistory(string Node, IReadOnlyList<NodeTransition> Transitions);

/// <summary>One move of a node; <c>Operation</c> is the workflow run whose step made it (see /api/v1/operations/{id}).</summary>
public sealed record NodeTransition(DateTimeOffset At, string From, string To, string? Reason, Guid? Operation);
