using System.Text.Json;
using System.Text.Json.Nodes;
using Dflare.Core.Clusters;
using Dflare.Core.Identity;
using Dflare.Core.Resources;
using Dflare.Core.Workflows;
using Dflare.Persistence.Clusters;
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

namespace Dflare.Server.Api.Clusters;

/// <summary>What a tenant uses to reach a cluster: a kubeconfig signing in with the tenant's realm, Slurm details.</summary>
public sealed record ClusterAccessDetails(string Cluster, string Type, string Endpoint, string? Kubeconfig, IReadOnlyDictionary<string, string> Details);

/// <summary>The mounts every node of a cluster makes, node by node.</summary>
public sealed record NodeMounts(string Node, IReadOnlyList<MountPlan> Mounts);

/// <summary>Where a cluster mounts one of the tenant's volumes.</summary>
public sealed record VolumeMountRequest(string? MountPath, bool ReadOnly = false);

/// <summary>A tenant's GPU quota: GPUs by model its clusters may hold at once (absent models are unlimited).</summary>
public sealed record GpuQuota(IReadOnlyDictionary<string, int>? Gpus);

/// <summary><c>/api/v1/tenants/{tenant}/clusters</c> and the tenant's quota at <c>/api/v1/tenants/{tenant}/quota</c>.</summary>
public static class ClusterEndpoints
{
    public static void MapClusters(this RouteGroupBuilder api)
    {
        var services = ((IEndpointRouteBuilder)api).ServiceProvider;
        var kind = new ClusterKind(services.GetRequiredService<WorkflowClient>, services.GetRequiredService<ClusterSettings>, services.GetRequiredService<TimeProvider>());
        var clusters = api.MapGroup("/tenants/{tenant}/clusters");
        clusters.MapResource(kind, TenancyEndpoints.ResolveTenantAsync, ResourceAccess.InTenant(
            Permissions.ClustersRead, Permissions.ClustersCreate, Permissions.ClustersUpdate, Permissions.ClustersDelete, objectIsProject: false), mapDelete: false);
        clusters.MapDelete("{name}", DeleteAsync).RequirePermissionInTenant(Permissions.ClustersDelete, "tenant").WithName("deleteCluster")
            .WithSummary("Delete a cluster: drain, tear down, give back every node (wiped before reuse), address, segment and mount; answers the operation.")
            .Produces<Operation>(StatusCodes.Status202Accepted).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status412PreconditionFailed);
        clusters.MapGet("{name}/access", AccessAsync).RequirePermissionInTenant(Permissions.ClustersAccess, "tenant").WithName("readClusterAccess")
            .WithSummary("How to reach the cluster: a kubeconfig that signs in with the tenant's realm, or the Slurm controller and configuration.")
            .Produces<ClusterAccessDetails>().ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        clusters.MapGet("{name}/mounts", MountsAsync).RequirePermissionInTenant(Permissions.ClustersRead, "tenant").WithName("listClusterMounts")
            .WithSummary("What each node of the cluster mounts where, with the parallel filesystem client options.")
            .Produces<IReadOnlyList<NodeMounts>>().ProducesProblem(StatusCodes.Status404NotFound);
        clusters.MapGet("{name}/rendered", RenderedAsync).RequirePermissionInTenant(Permissions.ClustersRead, "tenant").WithName("renderCluster")
            .WithSummary("The configuration the cluster's nodes are given: kubeadm and static pod manifests, GPU runtime, slurm.conf, gres.conf, topology.conf, accounts.")
            .Produces<IReadOnlyDictionary<string, string>>().ProducesProblem(StatusCodes.Status404NotFound);
        clusters.MapPut("{name}/volumes/{volume}", MountAsync).RequirePermissionInTenant(Permissions.ClustersUpdate, "tenant").WithName("mountVolume")
            .WithSummary("Mount one of the tenant's volumes on every node of the cluster (adds it to spec.volumes); answers the operation.")
            .Accepts<VolumeMountRequest>("application/json", "application/yaml").Produces<Operation>(StatusCodes.Status202Accepted)
            .ProducesValidationProblem(StatusCodes.Status422UnprocessableEntity).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        clusters.MapDelete("{name}/volumes/{volume}", UnmountAsync).RequirePermissionInTenant(Permissions.ClustersUpdate, "tenant").WithName("unmountVolume")
            .WithSummary("Take a volume off the cluster's nodes (removes it from spec.volumes); answers the operation.")
            .Produces<Operation>(StatusCodes.Status202Accepted).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        api.MapGet("/tenants/{tenant}/quota", ReadQuotaAsync).RequirePermissionInTenant(Permissions.TenantsRead, "tenant").WithName("readQuota")
            .WithSummary("The tenant's GPU quota by model.").Produces<GpuQuota>().ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPut("/tenants/{tenant}/quota", ReplaceQuotaAsync).RequirePermission(Permissions.QuotasManage).WithName("replaceQuota")
            .WithSummary("Set the tenant's GPU quota by model (operators). Clusters already placed keep their nodes.")
            .Accepts<GpuQuota>("application/json", "application/yaml").Produces<GpuQuota>().ProducesValidationProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static async Task<(ClusterRow?, Persistence.Tenancy.TenantRow?, IResult?)> FindAsync(HttpContext http, DflareDbContext db, string name, CancellationToken cancellationToken)
    {
        var (tenant, problem) = await TenancyEndpoints.ResolveTenantAsync(http, db, cancellationToken);
        if (problem is not null)
        {
            return (null, null, problem);
        }
        var cluster = await db.Clusters.FirstOrDefaultAsync(c => c.TenantId == tenant!.Id && c.Name == name, cancellationToken);
        return cluster is null ? (null, tenant, Problem.NotFound(Cluster.KindName, name)) : (cluster, tenant, null);
    }

    private static async Task<IResult> DeleteAsync(HttpContext http, string name, DflareDbContext db, WorkflowClient workflows, TimeProvider time, CancellationToken cancellationToken)
    {
        var (cluster, tenant, problem) = await FindAsync(http, db, name, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        if (Preconditions.Check(http.Request, cluster!) is { } failed)
        {
            return failed;
        }
        var target = ClusterKind.Target(tenant!.Name, name);
        var active = await db.WorkflowRuns.AsNoTracking().FirstOrDefaultAsync(r => r.ActiveKey == $"{ClusterWorkflows.Delete}|{target}", cancellationToken);
        Persistence.Workflows.WorkflowRunRow run;
        if (active is not null)
        {
            // Deleting twice answers the delete already under way.
            run = active;
        }
        else
        {
            run = workflows.Stage(db, ClusterWorkflows.Delete, target, new JsonObject { ["cluster"] = cluster!.Id.ToString(), ["tenant"] = tenant.Name, ["delete"] = true });
            cluster!.Phase = ClusterPhases.Deleting;
            cluster.Reason = null;
            cluster.Operation = run.Id;
            cluster.ResourceVersion++;
            cluster.UpdatedAt = Envelope.Timestamp(time.GetUtcNow());
            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateConcurrencyException)
            {
                return Problem.PreconditionFailed($"Cluster '{name}' was changed by another request while this one ran.");
            }
            workflows.Wake();
        }
        var steps = await db.WorkflowSteps.AsNoTracking().Where(s => s.RunId == run.Id).OrderBy(s => s.Index).ToListAsync(cancellationToken);
        return TypedResults.Accepted($"/api/v1/operations/{run.Id}", Operation.From(run, steps));
    }

    private static async Task<IResult> MountAsync(HttpContext http, string name, string volume, DflareDbContext db, WorkflowClient workflows, ClusterSettings settings,
        TimeProvider time, CancellationToken cancellationToken)
    {
        var body = await RequestBodies.ReadAsync<VolumeMountRequest>(http, cancellationToken);
        if (body.Problem is not null)
        {
            return body.Problem;
        }
        return await ChangeVolumesAsync(http, name, volume, db, workflows, settings, time,
            volumes => [.. volumes.Where(v => v.Name != volume), new ClusterVolumeSpec(volume, body.Value!.MountPath, body.Value.ReadOnly)], cancellationToken);
    }

    private static Task<IResult> UnmountAsync(HttpContext http, string name, string volume, DflareDbContext db, WorkflowClient workflows, ClusterSettings settings,
        TimeProvider time, CancellationToken cancellationToken) =>
        ChangeVolumesAsync(http, name, volume, db, workflows, settings, time, volumes => [.. volumes.Where(v => v.Name != volume)], cancellationToken);

    /// <summary>A change of spec.volumes through the same checks and workflow as a full replace of the cluster. Both the
    /// cluster and the volume are looked up in the path's tenant: another tenant's either answers 404.</summary>
    private static async Task<IResult> ChangeVolumesAsync(HttpContext http, string name, string volume, DflareDbContext db, WorkflowClient workflows,
        ClusterSettings settings, TimeProvider time, Func<IReadOnlyList<ClusterVolumeSpec>, IReadOnlyList<ClusterVolumeSpec>> change, CancellationToken cancellationToken)
    {
        var (cluster, tenant, problem) = await FindAsync(http, db, name, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        if (!await db.Volumes.AnyAsync(v => v.TenantId == tenant!.Id && v.Name == volume, cancellationToken))
        {
            return Problem.NotFound(Dflare.Core.Volumes.Volume.KindName, volume);
        }
        var kind = new ClusterKind(() => workflows, () => settings, time);
        var current = kind.ToResource(cluster!, tenant!);
        var spec = current.Spec! with { Volumes = change(current.Spec!.Volumes ?? []) };
        var resource = current with { Spec = spec, Status = null };
        var validation = new Validation();
        kind.Validate(validation, resource, tenant!, creating: false);
        if (validation.IsValid)
        {
            await kind.CheckAsync(validation, db, resource, tenant!, cluster, cancellationToken);
        }
        if (!validation.IsValid)
        {
            return Problem.Validation(validation.Errors);
        }
        kind.Apply(cluster!, resource);
        if (!db.Entry(cluster!).Property(c => c.Spec).IsModified)
        {
            return Problem.Of(StatusCodes.Status409Conflict, ProblemCodes.AlreadyExists, "Nothing to change.", $"Cluster '{name}' already mounts it so (or does not mount '{volume}').");
        }
        cluster!.ResourceVersion++;
        cluster.UpdatedAt = Envelope.Timestamp(time.GetUtcNow());
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        try
        {
            await kind.WritingAsync(db, cluster, resource, tenant!, creating: false, cancellationToken);
        }
        catch (ResourceConflictException conflict)
        {
            return Problem.Of(StatusCodes.Status409Conflict, conflict.Code, conflict.Title, conflict.Message);
        }
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            return Problem.PreconditionFailed($"Cluster '{name}' was changed by another request while this one ran.");
        }
        var run = await db.WorkflowRuns.AsNoTracking().FirstAsync(r => r.Id == cluster.Operation, cancellationToken);
        var steps = await db.WorkflowSteps.AsNoTracking().Where(s => s.RunId == run.Id).OrderBy(s => s.Index).ToListAsync(cancellationToken);
        return TypedResults.Accepted($"/api/v1/operations/{run.Id}", Operation.From(run, steps));
    }

    private static async Task<IResult> AccessAsync(HttpContext http, string name, DflareDbContext db, IssuerAddress issuers, CancellationToken cancellationToken)
    {
        var (cluster, tenant, problem) = await FindAsync(http, db, name, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        if (cluster!.Access is null)
        {
            return Problem.Of(StatusCodes.Status409Conflict, ProblemCodes.NotReady, "The cluster has no control plane yet.",
                $"Cluster '{name}' is {cluster.Phase}; its access details exist once its control plane is up.");
        }
        var access = JsonSerializer.Deserialize<ClusterAccess>(cluster.Access, ClusterJson.Options)!;
        string? kubeconfig = null;
        if (ClusterTypes.HasKubernetes(cluster.Type))
        {
            var plan = await ClusterPlans.PlanAsync(db, cluster, tenant!.Name, issuers.For(tenant.Name), cancellationToken);
            kubeconfig = KubeadmRenderer.Kubeconfig(plan, access.Endpoint, access.Details.GetValueOrDefault("certificateAuthority"));
        }
        return TypedResults.Ok(new ClusterAccessDetails(name, cluster.Type, access.Endpoint, kubeconfig, access.Details));
    }

    private static async Task<IResult> MountsAsync(HttpContext http, string name, DflareDbContext db, IssuerAddress issuers, CancellationToken cancellationToken)
    {
        var (cluster, tenant, problem) = await FindAsync(http, db, name, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var plan = await ClusterPlans.PlanAsync(db, cluster!, tenant!.Name, issuers.For(tenant.Name), cancellationToken);
        return TypedResults.Ok(plan.Nodes.Select(n => new NodeMounts(n.Name, plan.Mounts)).ToList());
    }

    private static async Task<IResult> RenderedAsync(HttpContext http, string name, DflareDbContext db, IssuerAddress issuers, CancellationToken cancellationToken)
    {
        var (cluster, tenant, problem) = await FindAsync(http, db, name, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var plan = await ClusterPlans.PlanAsync(db, cluster!, tenant!.Name, issuers.For(tenant.Name), cancellationToken);
        if (plan.Nodes.Count == 0)
        {
            return Problem.Of(StatusCodes.Status409Conflict, ProblemCodes.NotReady, "The cluster has no nodes yet.", $"Cluster '{name}' is {cluster!.Phase}; it renders once placed.");
        }
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        if (ClusterTypes.HasKubernetes(cluster!.Type))
        {
            // The join token is the runtime's secret: a rendering for people shows where it goes, not what it is.
            foreach (var (file, text) in KubeadmRenderer.All(plan, "[redacted].[redacted]"))
            {
                files[$"kubernetes/{file}"] = text;
            }
        }
        if (ClusterTypes.HasSlurm(cluster.Type))
        {
            foreach (var (file, text) in SlurmRenderer.All(plan, SlurmRenderOptions.Production))
            {
                files[$"slurm/{file}"] = text;
            }
        }
        return TypedResults.Ok(files);
    }

    private static async Task<IResult> ReadQuotaAsync(HttpContext http, DflareDbContext db, CancellationToken cancellationToken)
    {
        var (tenant, problem) = await TenancyEndpoints.ResolveTenantAsync(http, db, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var rows = await db.TenantQuotas.AsNoTracking().Where(q => q.TenantId == tenant!.Id).OrderBy(q => q.GpuModel).ToListAsync(cancellationToken);
        return TypedResults.Ok(new GpuQuota(rows.ToDictionary(q => q.GpuModel, q => q.MaxGpus, StringComparer.Ordinal)));
    }

    private static async Task<IResult> ReplaceQuotaAsync(HttpContext http, DflareDbContext db, CancellationToken cancellationToken)
    {
        var body = await RequestBodies.ReadAsync<GpuQuota>(http, cancellationToken);
        if (body.Problem is not null)
        {
            return body.Problem;
        }
        var (tenant, problem) = await TenancyEndpoints.ResolveTenantAsync(http, db, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var gpus = body.Value!.Gpus ?? new Dictionary<string, int>();
        var validation = new Validation();
        foreach (var (model, count) in gpus)
        {
            validation.Text($"gpus.{model}", model, 63);
            if (model.Length == 0)
            {
                validation.Add("gpus", FieldErrorCodes.InvalidValue, "A GPU model name is empty.");
            }
            if (count is < 0 or > 1_000_000)
            {
                validation.Add($"gpus.{model}", FieldErrorCodes.OutOfRange, $"The quota for {model} must be 0 to 1000000 GPUs.");
            }
        }
        if (!validation.IsValid)
        {
            return Problem.Validation(validation.Errors);
        }
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.TenantQuotas.Where(q => q.TenantId == tenant!.Id).ExecuteDeleteAsync(cancellationToken);
        db.TenantQuotas.AddRange(gpus.Select(g => new TenantQuotaRow { TenantId = tenant!.Id, GpuModel = g.Key, MaxGpus = g.Value }));
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok(new GpuQuota(gpus.OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Value, StringComparer.Ordinal)));
    }
}
