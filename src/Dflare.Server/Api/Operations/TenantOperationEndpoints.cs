using Dflare.Core.Clusters;
using Dflare.Core.Identity;
using Dflare.Core.Volumes;
using Dflare.Core.Workflows;
using Dflare.Persistence.Store;
using Dflare.Persistence.Workflows;
using Dflare.Server.Access;
using Dflare.Server.Api.Tenancy;
using Dflare.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dflare.Server.Api.Operations;

/// <summary>
/// <c>/api/v1/tenants/{tenant}/operations</c>: the operations working on a tenant's own clusters and volumes, so that
/// tenants can follow what they asked for (<c>/api/v1/operations</c> is the operators' view of everything). A run is
/// shown to a caller who may read the object it works on — <c>clusters.read</c> for a cluster's, <c>volumes.read</c>
/// for a volume's, in that object's project — and is otherwise missing (404).
/// </summary>
public static class TenantOperationEndpoints
{
    public static void MapTenantOperations(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/tenants/{tenant}/operations").WithTags("Operations");
        group.MapGet("", ListAsync).RequirePermissionInTenant(Permissions.TenantsRead, "tenant").WithName("listTenantOperations")
            .WithSummary("The operations on the tenant's clusters and volumes that the caller may read, oldest first; filter by workflow, target and phase.")
            .Produces<Core.Resources.ResourceList<Operation>>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("{id}", GetAsync).RequirePermissionInTenant(Permissions.TenantsRead, "tenant").WithName("getTenantOperation")
            .WithSummary("One operation on the tenant's clusters or volumes: phase, current step, each step's attempts, errors and timings.")
            .Produces<Operation>().ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("{id}/events", EventsAsync).RequirePermissionInTenant(Permissions.TenantsRead, "tenant").WithName("listTenantOperationEvents")
            .WithSummary("The transitions of one operation on the tenant's clusters or volumes, in order.")
            .Produces<IReadOnlyList<OperationEvent>>().ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static async Task<IResult> ListAsync(HttpContext http, string tenant, DflareDbContext db, IOptions<ApiOptions> api, PolicyDecisionPoint decisions, CancellationToken cancellationToken)
    {
        if ((await TenancyEndpoints.ResolveTenantAsync(http, db, cancellationToken)).Item2 is { } problem)
        {
            return problem;
        }
        var clusters = ClusterKind.Target(tenant, "");
        var volumes = VolumeKind.Target(tenant, "");
        var query = db.WorkflowRuns.AsNoTracking().Where(r => r.Target != null && (r.Target.StartsWith(clusters) || r.Target.StartsWith(volumes)));
        return await OperationEndpoints.ListRunsAsync(http, db, api.Value, query, Visible(http, db, decisions, tenant, cancellationToken), cancellationToken);
    }

    private static async Task<IResult> GetAsync(HttpContext http, string tenant, string id, DflareDbContext db, PolicyDecisionPoint decisions, CancellationToken cancellationToken) =>
        (await TenancyEndpoints.ResolveTenantAsync(http, db, cancellationToken)).Item2
        ?? await OperationEndpoints.GetRunAsync(db, id, Visible(http, db, decisions, tenant, cancellationToken), cancellationToken);

    private static async Task<IResult> EventsAsync(HttpContext http, string tenant, string id, DflareDbContext db, PolicyDecisionPoint decisions, CancellationToken cancellationToken) =>
        (await TenancyEndpoints.ResolveTenantAsync(http, db, cancellationToken)).Item2
        ?? await OperationEndpoints.RunEventsAsync(db, id, Visible(http, db, decisions, tenant, cancellationToken), cancellationToken);

    /// <summary>Whether the caller may read the object a run works on; one decision per object.</summary>
    private static Func<WorkflowRunRow, Task<bool>> Visible(HttpContext http, DflareDbContext db, PolicyDecisionPoint decisions, string tenant, CancellationToken cancellationToken)
    {
        var decided = new Dictionary<string, bool>(StringComparer.Ordinal);
        return async run =>
        {
            // Targets are "cluster/{tenant}/{name}" and "volume/{tenant}/{name}[/{id}]".
            var parts = (run.Target ?? "").Split('/');
            if (parts.Length < 3 || parts[1] != tenant || parts[0] is not ("cluster" or "volume"))
            {
                return false;
            }
            var key = $"{parts[0]}/{parts[2]}";
            if (!decided.TryGetValue(key, out var allowed))
            {
                var tenantId = await db.Tenants.Where(t => t.Name == tenant).Select(t => t.Id).FirstAsync(cancellationToken);
                var name = parts[2];
                var (permission, project) = parts[0] == "cluster"
                    ? (Permissions.ClustersRead, await db.Clusters.Where(c => c.TenantId == tenantId && c.Name == name).Select(c => c.Project).FirstOrDefaultAsync(cancellationToken))
                    : (Permissions.VolumesRead, await db.Volumes.Where(v => v.TenantId == tenantId && v.Name == name).Select(v => v.Project).FirstOrDefaultAsync(cancellationToken));
                // An object already deleted has no project: its runs are shown to those who may read such objects tenant-wide.
                allowed = (await decisions.DecideAsync(http.Subject(), AuthorizationGate.RequestFor(http, permission, tenant, project), cancellationToken)).Allowed;
                decided[key] = allowed;
            }
            return allowed;
        };
    }
}
