using System.Text.Json.Nodes;
using Dflare.Core.Identity;
using Dflare.Core.Network;
using Dflare.Core.Resources;
using Dflare.Core.Workflows;
using Dflare.Persistence.Store;
using Dflare.Server.Access;
using Dflare.Server.Api.Json;
using Dflare.Server.Api.Problems;
using Dflare.Server.Api.Resources;
using Dflare.Server.Api.Tenancy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dflare.Server.Api.Network;

/// <summary>Where a node NIC sits on a subnet.</summary>
public sealed record NetworkAttachment(string Node, string Nic, string Leaf, string Port, string Address, string? Ipv6Address);

/// <summary>A node to put on a subnet; <see cref="Nic"/> defaults to the node's first NIC cabled to the fabric.</summary>
public sealed record AttachRequest(string? Node, string? Nic);

/// <summary>How a fabric differs from the store, and whether it was repaired.</summary>
public sealed record FabricDriftReport(string Fabric, bool Repaired, IReadOnlyList<FabricDrift> Drift);

/// <summary>
/// Operators: <c>/api/v1/fabrics</c> (with drift, reconcile and rendered switch and subnet-manager configuration) and
/// <c>/api/v1/network-pools</c>. Tenants: <c>/api/v1/tenants/{tenant}/vpcs</c> and <c>…/subnets</c>; operators put
/// nodes on subnets through <c>…/subnets/{name}/attachments</c>.
/// </summary>
public static class NetworkEndpoints
{
    public static void MapNetwork(this RouteGroupBuilder api)
    {
        var services = ((IEndpointRouteBuilder)api).ServiceProvider;
        var inventory = ResourceAccess.Platform(Permissions.InventoryRead, Permissions.InventoryWrite);
        var fabrics = api.MapGroup("/fabrics").MapResource(new FabricKind(), ScopeResolvers.Platform, inventory);
        fabrics.MapGet("{name}/drift", DriftAsync).RequirePermission(Permissions.InventoryRead).WithName("readFabricDrift")
            .WithSummary("How the fabric differs from what the store wants (nothing is changed).")
            .Produces<FabricDriftReport>().ProducesProblem(StatusCodes.Status404NotFound);
        fabrics.MapPost("{name}/reconcile", ReconcileAsync).RequirePermission(Permissions.InventoryWrite).WithName("reconcileFabric")
            .WithSummary("Repair the fabric now, answering what differed (the reconciler does this every Network:ReconcileInterval).")
            .Produces<FabricDriftReport>().ProducesProblem(StatusCodes.Status404NotFound);
        fabrics.MapGet("{name}/rendered", RenderAsync).RequirePermission(Permissions.InventoryRead).WithName("renderFabric")
            .WithSummary("What a real fabric is given: format=frr or sonic with leaf=NAME (Ethernet), format=opensm or ufm (InfiniBand).")
            .Produces<string>(contentType: "text/plain").ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status400BadRequest);
        api.MapGroup("/network-pools").MapResource(new NetworkPoolKind(), ScopeResolvers.Platform, inventory);

        var time = services.GetRequiredService<TimeProvider>();
        var tenantAccess = ResourceAccess.InTenant(Permissions.NetworksRead, Permissions.NetworksCreate, Permissions.NetworksUpdate, Permissions.NetworksDelete, objectIsProject: false);
        api.MapGroup("/tenants/{tenant}/vpcs").MapResource(new VpcKind(services.GetRequiredService<WorkflowClient>, time), TenancyEndpoints.ResolveTenantAsync, tenantAccess);
        var subnets = api.MapGroup("/tenants/{tenant}/subnets");
        subnets.MapResource(new SubnetKind(services.GetRequiredService<WorkflowClient>, time), TenancyEndpoints.ResolveTenantAsync, tenantAccess);
        subnets.MapGet("{name}/attachments", ListAttachmentsAsync).RequirePermissionInTenant(Permissions.NetworksRead, "tenant").WithName("listSubnetAttachments")
            .WithSummary("The node NICs on the subnet, with their leaf ports and addresses.")
            .Produces<IReadOnlyList<NetworkAttachment>>().ProducesProblem(StatusCodes.Status404NotFound);
        subnets.MapPost("{name}/attachments", AttachAsync).RequirePermissionInTenant(Permissions.NetworksAttach, "tenant").WithName("attachToSubnet")
            .WithSummary("Put a node NIC on the subnet: an address from IPAM, the leaf port in the segment, the node's HCAs in the tenant's partition; answers the operation.")
            .Produces<Operation>(StatusCodes.Status202Accepted).ProducesValidationProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        subnets.MapDelete("{name}/attachments/{node}", DetachAsync).RequirePermissionInTenant(Permissions.NetworksAttach, "tenant").WithName("detachFromSubnet")
            .WithSummary("Take a node off the subnet: the address goes back to IPAM, the port leaves the segment; answers the operation.")
            .Produces<Operation>(StatusCodes.Status202Accepted).ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static async Task<IResult> DriftAsync(string name, NetworkSync sync, CancellationToken cancellationToken) =>
        await RunAsync(name, repair: false, sync, cancellationToken);

    private static async Task<IResult> ReconcileAsync(string name, NetworkSync sync, CancellationToken cancellationToken) =>
        await RunAsync(name, repair: true, sync, cancellationToken);

    private static async Task<IResult> RunAsync(string name, bool repair, NetworkSync sync, CancellationToken cancellationToken)
    {
        try
        {
            var drift = repair ? await sync.SyncAsync(name, reconciling: true, cancellationToken) : await sync.DiffAsync(name, cancellationToken);
            return drift is null ? Problem.NotFound(Fabric.KindName, name) : TypedResults.Ok(new FabricDriftReport(name, repair, drift));
        }
        catch (FabricDriverException ex)
        {
            return Problem.Of(StatusCodes.Status503ServiceUnavailable, ProblemCodes.FabricUnavailable, "The fabric could not be read or programmed.", ex.Message);
        }
    }

    private static async Task<IResult> RenderAsync(string name, string? format, string? leaf, DflareDbContext db, CancellationToken cancellationToken)
    {
        var fabric = await db.Fabrics.AsNoTracking().FirstOrDefaultAsync(f => f.Name == name, cancellationToken);
        if (fabric is null)
        {
            return Problem.NotFound(Fabric.KindName, name);
        }
        var intent = await NetworkIntents.BuildAsync(db, fabric, cancellationToken);
        var ethernet = fabric.Type == FabricTypes.Ethernet;
        if (ethernet ? format is not ("frr" or "sonic") : format is not ("opensm" or "ufm"))
        {
            return Problem.BadQuery(ProblemCodes.InvalidQuery, "format", ethernet ? "format must be frr or sonic for an Ethernet fabric." : "format must be opensm or ufm for an InfiniBand fabric.");
        }
        if (!ethernet)
        {
            return format == "opensm"
                ? TypedResults.Text(InfinibandRenderer.OpenSmPartitions(intent))
                : TypedResults.Text(new JsonArray([.. intent.Partitions.SelectMany(InfinibandRenderer.UfmRequests)
                    .Select(r => (JsonNode)new JsonObject { ["method"] = r.Method, ["path"] = r.Path, ["body"] = r.Body })]).ToJsonString(), "application/json");
        }
        var node = intent.Leaves.FirstOrDefault(l => l.Name == leaf);
        if (node is null)
        {
            return Problem.BadQuery(ProblemCodes.InvalidQuery, "leaf", $"leaf must name a leaf of fabric '{name}': {string.Join(", ", intent.Leaves.Select(l => l.Name))}.");
        }
        return format == "frr" ? TypedResults.Text(FrrRenderer.Leaf(intent, node)) : TypedResults.Text(SonicRenderer.Leaf(intent, node).ToJsonString(), "application/json");
    }

    private static async Task<IResult> ListAttachmentsAsync(HttpContext http, string name, DflareDbContext db, CancellationToken cancellationToken)
    {
        var (subnet, problem) = await SubnetAsync(http, db, name, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var rows = await db.NetworkAttachments.AsNoTracking().Where(a => a.SubnetId == subnet!.Id).OrderBy(a => a.Node).ToListAsync(cancellationToken);
        return TypedResults.Ok(rows.Select(a => new NetworkAttachment(a.Node, a.Nic, a.Leaf, a.Port, a.Address, a.Ipv6Address)).ToList());
    }

    private static async Task<IResult> AttachAsync(HttpContext http, string name, DflareDbContext db, WorkflowClient workflows, CancellationToken cancellationToken)
    {
        var body = await RequestBodies.ReadAsync<AttachRequest>(http, cancellationToken);
        if (body.Problem is not null)
        {
            return body.Problem;
        }
        var (subnet, problem) = await SubnetAsync(http, db, name, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var request = body.Value!;
        var validation = new Validation();
        Names.Validate(validation, "node", request.Node);
        if (!validation.IsValid)
        {
            return Problem.Validation(validation.Errors);
        }
        var vpc = await db.Vpcs.AsNoTracking().FirstAsync(v => v.Id == subnet!.VpcId, cancellationToken);
        var fabric = await db.Fabrics.AsNoTracking().FirstAsync(f => f.Id == vpc.FabricId, cancellationToken);
        var link = (FabricKind.SpecOf(fabric).Links ?? []).Where(l => l.Node == request.Node && (request.Nic is null || l.Nic == request.Nic))
            .OrderBy(l => l.Nic, StringComparer.Ordinal).FirstOrDefault();
        if (link is null)
        {
            return Problem.Validation([new FieldError(request.Nic is null ? "node" : "nic", FieldErrorCodes.UnknownReference,
                $"Fabric '{fabric.Name}' has no cabling for {request.Node}{(request.Nic is null ? "" : $" {request.Nic}")}.")]);
        }
        var elsewhere = await db.NetworkAttachments.AsNoTracking().FirstOrDefaultAsync(a => a.Node == link.Node && a.Nic == link.Nic && a.SubnetId != subnet!.Id, cancellationToken);
        if (elsewhere is not null)
        {
            return Problem.Of(StatusCodes.Status409Conflict, ProblemCodes.AlreadyExists, "The NIC is on another subnet.",
                $"{link.Node} {link.Nic} is already on another subnet; an untagged NIC carries one segment. Detach it first.");
        }
        var run = workflows.Stage(db, NetworkAttachments.AttachWorkflow, $"node/{link.Node}/{link.Nic}", new JsonObject
        {
            ["subnet"] = subnet!.Id.ToString(), ["vpc"] = vpc.Id.ToString(), ["node"] = link.Node, ["nic"] = link.Nic, ["leaf"] = link.Switch, ["port"] = link.Port,
        });
        return await AcceptedAsync(db, workflows, run, cancellationToken);
    }

    private static async Task<IResult> DetachAsync(HttpContext http, string name, string node, DflareDbContext db, WorkflowClient workflows, CancellationToken cancellationToken)
    {
        var (subnet, problem) = await SubnetAsync(http, db, name, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        if (!await db.NetworkAttachments.AnyAsync(a => a.SubnetId == subnet!.Id && a.Node == node, cancellationToken))
        {
            return Problem.Of(StatusCodes.Status404NotFound, ProblemCodes.NotFound, "The node is not on the subnet.", $"Node '{node}' is not attached to subnet '{name}'.");
        }
        var run = workflows.Stage(db, NetworkAttachments.DetachWorkflow, $"node/{node}", new JsonObject
        {
            ["subnet"] = subnet!.Id.ToString(), ["vpc"] = subnet.VpcId.ToString(), ["node"] = node,
        });
        return await AcceptedAsync(db, workflows, run, cancellationToken);
    }

    private static async Task<IResult> AcceptedAsync(DflareDbContext db, WorkflowClient workflows, Persistence.Workflows.WorkflowRunRow run, CancellationToken cancellationToken)
    {
        await db.SaveChangesAsync(cancellationToken);
        workflows.Wake();
        var steps = await db.WorkflowSteps.AsNoTracking().Where(s => s.RunId == run.Id).OrderBy(s => s.Index).ToListAsync(cancellationToken);
        return TypedResults.Accepted($"/api/v1/operations/{run.Id}", Operation.From(run, steps));
    }

    private static async Task<(Persistence.Network.SubnetRow?, IResult?)> SubnetAsync(HttpContext http, DflareDbContext db, string name, CancellationToken cancellationToken)
    {
        var (tenant, problem) = await TenancyEndpoints.ResolveTenantAsync(http, db, cancellationToken);
        if (problem is not null)
        {
            return (null, problem);
        }
        var subnet = await db.Subnets.AsNoTracking().FirstOrDefaultAsync(s => s.TenantId == tenant!.Id && s.Name == name, cancellationToken);
        return subnet is null ? (null, Problem.NotFound(Subnet.KindName, name)) : (subnet, null);
    }
}
