using Dflare.Core.Identity;
using Dflare.Core.Volumes;
using Dflare.Core.Workflows;
using Dflare.Persistence.Store;
using Dflare.Persistence.Workflows;
using Dflare.Server.Access;
using Dflare.Server.Api.Problems;
using Dflare.Server.Api.Resources;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dflare.Server.Api.Volumes;

/// <summary>What a backend holds that the store does not know (orphans), and what the store expects that is missing.</summary>
public sealed record Reconciliation(string Backend, IReadOnlyList<string> Orphans, IReadOnlyList<string> Missing, IReadOnlyList<string> Retained);

/// <summary><c>/api/v1/storage-backends</c> (operators) and <c>/api/v1/tenants/{tenant}/volumes</c> (tenants).</summary>
public static class VolumeEndpoints
{
    public static void MapVolumes(this RouteGroupBuilder api)
    {
        var services = ((IEndpointRouteBuilder)api).ServiceProvider;
        var backends = api.MapGroup("/storage-backends").MapResource(new StorageBackendKind(), ScopeResolvers.Platform,
            ResourceAccess.Platform(Permissions.InventoryRead, Permissions.InventoryWrite));
        backends.MapGet("{name}/reconciliation", ReconcileAsync).RequirePermission(Permissions.InventoryRead).WithName("reconcileStorageBackend")
            .WithSummary("Compare the backend with the store: volumes on it nobody recorded (orphans), recorded volumes not on it, and deleted ones kept for their grace period.")
            .Produces<Reconciliation>().ProducesProblem(StatusCodes.Status404NotFound);
        var kind = new VolumeKind(services.GetRequiredService<WorkflowClient>, services.GetRequiredService<VolumeSettings>, services.GetRequiredService<TimeProvider>());
        var volumes = api.MapGroup("/tenants/{tenant}/volumes");
        volumes.MapResource(kind, Tenancy.TenancyEndpoints.ResolveTenantAsync, ResourceAccess.InTenant(
            Permissions.VolumesRead, Permissions.VolumesCreate, Permissions.VolumesUpdate, Permissions.VolumesDelete, objectIsProject: false));
    }

    private static async Task<IResult> ReconcileAsync(string name, DflareDbContext db, VolumeDrivers drivers, CancellationToken cancellationToken)
    {
        var backend = await db.StorageBackends.AsNoTracking().FirstOrDefaultAsync(b => b.Name == name, cancellationToken);
        if (backend is null)
        {
            return Problem.NotFound(StorageBackend.KindName, name);
        }
        HashSet<string> present;
        try
        {
            present = (await drivers.For(backend).ListAsync(cancellationToken)).ToHashSet(StringComparer.Ordinal);
        }
        catch (Exception ex) when (ex is VolumeDriverException or IOException or UnauthorizedAccessException)
        {
            return Problem.Of(StatusCodes.Status503ServiceUnavailable, ProblemCodes.BackendUnavailable, "The backend could not be read.", ex.Message);
        }
        var recorded = (await (from v in db.Volumes.AsNoTracking()
                               join t in db.Tenants.AsNoTracking() on v.TenantId equals t.Id
                               where v.Backend == name
                               select new { Row = v, Tenant = t.Name }).ToListAsync(cancellationToken))
            .Select(x => (Key: VolumeKind.SpecOf(x.Row, x.Tenant).Key, x.Row.Phase)).ToList();
        // Deleted volumes whose data is kept for the grace period are not orphans.
        var retained = (await db.WorkflowRuns.AsNoTracking()
                .Where(r => r.Workflow == VolumeWorkflows.Delete && (r.State == RunState.Pending || r.State == RunState.Running))
                .Select(r => r.Input).ToListAsync(cancellationToken))
            .Select(input => System.Text.Json.Nodes.JsonNode.Parse(input)!)
            .Where(input => (string?)input["backend"] == name)
            .Select(input => input["spec"].Deserialize<VolumeSpec>(VolumeKind.JsonOptions)!.Key).ToHashSet(StringComparer.Ordinal);
        var known = recorded.Select(r => r.Key).Concat(retained).ToHashSet(StringComparer.Ordinal);
        return TypedResults.Ok(new Reconciliation(
            name,
            [.. present.Where(k => !known.Contains(k)).Order(StringComparer.Ordinal)],
            [.. recorded.Where(r => r.Phase == VolumePhases.Ready && !present.Contains(r.Key)).Select(r => r.Key).Order(StringComparer.Ordinal)],
            [.. retained.Order(StringComparer.Ordinal)]));
    }
}
