using System.Text.Json;
using System.Text.Json.Nodes;
using Dflare.Core.Network;
using Dflare.Core.Resources;
using Dflare.Core.Workflows;
using Dflare.Persistence.Clusters;
using Dflare.Persistence.Store;
using Dflare.Persistence.Tenancy;
using Dflare.Persistence.Workflows;
using Microsoft.EntityFrameworkCore;

namespace Dflare.Core.Clusters;

/// <summary>
/// Clusters live inside a tenant and belong to one of its projects. A create, or a change of the spec, starts the
/// <c>converge-cluster</c> workflow in the same transaction (placement, network, storage, control plane, workers, GPU
/// runtime, validation); a delete is answered with the <c>delete-cluster</c> operation and the row goes when it ends.
/// </summary>
public sealed class ClusterKind(Func<WorkflowClient> workflows, Func<ClusterSettings> settings, TimeProvider time) : IResourceKind<Cluster, ClusterRow, TenantRow>
{
    public string Kind => Cluster.KindName;

    public string DependentsExplanation => "other objects still use it";

    public IReadOnlyList<string> ReferenceFields => ["spec.project"];

    public IReadOnlyList<string> ListFilters => ["phase"];

    public IQueryable<ClusterRow> Query(DflareDbContext db, TenantRow scope) => db.Clusters.Where(c => c.TenantId == scope.Id);

    public (IQueryable<ClusterRow> Rows, string? BadParameter, string? Error) Filter(IQueryable<ClusterRow> rows, IReadOnlyDictionary<string, string> filters) =>
        filters.TryGetValue("phase", out var phase) ? (rows.Where(c => c.Phase == phase), null, null) : (rows, null, null);

    public void Validate(Validation validation, Cluster resource, TenantRow scope, bool creating)
    {
        Envelope.Validate(validation, resource, Kind);
        NetworkValidation.TenantMatches(validation, resource.Metadata, scope);
        if (validation.Required("spec", resource.Spec))
        {
            ClusterSpecRules.Validate(validation, resource.Spec!);
        }
    }

    public async Task CheckAsync(Validation validation, DflareDbContext db, Cluster resource, TenantRow scope, ClusterRow? existing, CancellationToken cancellationToken)
    {
        var spec = resource.Spec!;
        if (existing is not null)
        {
            CheckChange(validation, existing, spec);
        }
        if (!await db.Projects.AnyAsync(p => p.TenantId == scope.Id && p.Name == spec.Project, cancellationToken))
        {
            validation.Add("spec.project", FieldErrorCodes.UnknownReference, $"Tenant '{scope.Name}' has no project '{spec.Project}'.");
        }
        var vpc = spec.Network is null ? null : await db.Vpcs.AsNoTracking().FirstOrDefaultAsync(v => v.TenantId == scope.Id && v.Name == spec.Network.Vpc, cancellationToken);
        if (spec.Network is null)
        {
            // A managed network is made with the cluster: its refusals (no fabric, exhausted pools) answer 409 then.
        }
        else if (vpc is null)
        {
            validation.Add("spec.network.vpc", FieldErrorCodes.UnknownReference, $"Tenant '{scope.Name}' has no VPC '{spec.Network!.Vpc}'.");
        }
        else
        {
            var subnets = spec.Network!.Subnets!;
            var found = await db.Subnets.AsNoTracking().Where(s => s.VpcId == vpc.Id && subnets.Contains(s.Name)).Select(s => s.Name).ToListAsync(cancellationToken);
            for (var i = 0; i < subnets.Count; i++)
            {
                if (!found.Contains(subnets[i]))
                {
                    validation.Add($"spec.network.subnets[{i}]", FieldErrorCodes.UnknownReference, $"VPC '{vpc.Name}' has no subnet '{subnets[i]}'.");
                }
            }
        }
        var volumes = spec.Volumes ?? [];
        var names = volumes.Select(v => v.Name!).ToList();
        var known = await db.Volumes.AsNoTracking().Where(v => v.TenantId == scope.Id && names.Contains(v.Name)).Select(v => v.Name).ToListAsync(cancellationToken);
        for (var i = 0; i < volumes.Count; i++)
        {
            if (!known.Contains(volumes[i].Name!))
            {
                validation.Add($"spec.volumes[{i}].name", FieldErrorCodes.UnknownReference, $"Tenant '{scope.Name}' has no volume '{volumes[i].Name}'.");
            }
        }
        await CheckPoolsAsync(validation, db, spec, scope, existing, cancellationToken);
    }

    private static void CheckChange(Validation validation, ClusterRow existing, ClusterSpec spec)
    {
        if (existing.Phase == ClusterPhases.Deleting)
        {
            validation.Add("metadata.name", FieldErrorCodes.InvalidValue, $"Cluster '{existing.Name}' is being deleted.");
        }
        var before = SpecOf(existing);
        foreach (var (field, was, now) in new[] { ("spec.project", before.Project, spec.Project), ("spec.type", before.Type, spec.Type), ("spec.network.vpc", before.Network?.Vpc, spec.Network?.Vpc) })
        {
            if (was != now)
            {
                validation.Add(field, FieldErrorCodes.Mismatch, $"{field} cannot change ('{was}'); make a new cluster.");
            }
        }
        if (existing.RunningVersion is { } running && spec.Kubernetes?.Version is { } wanted && wanted != running)
        {
            var (from, to) = (Minor(running), Minor(wanted));
            if (to != from + 1)
            {
                validation.Add("spec.kubernetes.version", FieldErrorCodes.InvalidValue,
                    $"The cluster runs Kubernetes {running}; upgrades go one minor version at a time (to 1.{from + 1}), never down.");
            }
        }
    }

    private static int Minor(string version) => int.Parse(version.AsSpan(version.IndexOf('.', StringComparison.Ordinal) + 1), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>SKUs and GPU models must exist, and the tenant's GPU quota must hold the pools (what it holds in other
    /// clusters counts; a cluster's own nodes count once).</summary>
    private static async Task CheckPoolsAsync(Validation validation, DflareDbContext db, ClusterSpec spec, TenantRow scope, ClusterRow? existing, CancellationToken cancellationToken)
    {
        var skus = await db.Skus.AsNoTracking().Select(s => new { s.Name, s.GpuModel, s.GpuCount }).ToListAsync(cancellationToken);
        var wanted = new Dictionary<string, int>(StringComparer.Ordinal);
        var pools = spec.Pools!;
        for (var i = 0; i < pools.Count; i++)
        {
            var pool = pools[i];
            var sku = pool.Sku is null ? null : skus.FirstOrDefault(s => s.Name == pool.Sku);
            if (pool.Sku is not null && sku is null)
            {
                validation.Add($"spec.pools[{i}].sku", FieldErrorCodes.UnknownReference, $"There is no SKU '{pool.Sku}'.");
                continue;
            }
            var model = sku?.GpuModel ?? pool.GpuModel!;
            if (pool.GpuModel is not null && model != pool.GpuModel)
            {
                validation.Add($"spec.pools[{i}].gpuModel", FieldErrorCodes.Mismatch, $"SKU '{pool.Sku}' carries {model}, not {pool.GpuModel}.");
                continue;
            }
            var gpusPerNode = sku?.GpuCount ?? skus.Where(s => s.GpuModel == model).Select(s => s.GpuCount).DefaultIfEmpty(-1).Max();
            if (gpusPerNode < 0)
            {
                validation.Add($"spec.pools[{i}].gpuModel", FieldErrorCodes.UnknownReference, $"No SKU carries GPU model '{model}'; known: {string.Join(", ", skus.Select(s => s.GpuModel).Distinct())}.");
                continue;
            }
            wanted[model] = wanted.GetValueOrDefault(model) + (gpusPerNode * pool.Count!.Value);
        }
        var quotas = await db.TenantQuotas.AsNoTracking().Where(q => q.TenantId == scope.Id).ToListAsync(cancellationToken);
        var own = existing?.Id ?? Guid.Empty;
        var held = await db.NodeAllocations.AsNoTracking().Where(a => a.TenantId == scope.Id && a.ClusterId != own)
            .GroupBy(a => a.GpuModel).Select(g => new { Model = g.Key, Gpus = g.Sum(a => a.Gpus) }).ToListAsync(cancellationToken);
        foreach (var quota in quotas)
        {
            var holding = held.FirstOrDefault(h => h.Model == quota.GpuModel)?.Gpus ?? 0;
            if (wanted.GetValueOrDefault(quota.GpuModel) is var asking and > 0 && holding + asking > quota.MaxGpus)
            {
                var index = pools.Select((p, i) => (p, i)).First(x => (x.p.GpuModel ?? skus.First(s => s.Name == x.p.Sku).GpuModel) == quota.GpuModel).i;
                validation.Add($"spec.pools[{index}].count", FieldErrorCodes.OutOfRange,
                    $"The cluster needs {asking} {quota.GpuModel} GPUs and the tenant's other clusters hold {holding}; the tenant's quota is {quota.MaxGpus}.");
            }
        }
    }

    public ClusterRow NewRow(Cluster resource, TenantRow scope, DateTimeOffset now)
    {
        var row = new ClusterRow
        {
            Id = Guid.CreateVersion7(now), TenantId = scope.Id, Name = resource.Metadata!.Name!, Project = "", Type = "", Spec = "{}", Runtime = settings().Runtime,
            Phase = ClusterPhases.Requested, RequestedAt = now, CreatedAt = now,
        };
        Apply(row, resource);
        return row;
    }

    public void Apply(ClusterRow row, Cluster resource)
    {
        var spec = resource.Spec!;
        row.Labels = Envelope.LabelsToJson(resource.Metadata!.Labels);
        row.Project = spec.Project!;
        row.Type = spec.Type!;
        var json = JsonSerializer.Serialize(spec, ClusterJson.Options);
        if (json != row.Spec)
        {
            row.Spec = json;
        }
    }

    public async Task WritingAsync(DflareDbContext db, ClusterRow row, Cluster resource, TenantRow scope, bool creating, CancellationToken cancellationToken)
    {
        var target = Target(scope.Name, row.Name);
        if (creating && resource.Spec!.Network is null)
        {
            if (await db.Clusters.AnyAsync(c => c.TenantId == scope.Id && c.Name == row.Name && c.Id != row.Id, cancellationToken))
            {
                throw new ResourceConflictException("already-exists", "Cluster already exists.", $"Cluster '{row.Name}' already exists; choose another name or update the existing one.");
            }
            await new ManagedNetwork(workflows, time).CreateAsync(db, row, scope, cancellationToken);
        }
        if (!creating)
        {
            if (!db.Entry(row).Property(r => r.Spec).IsModified)
            {
                return;
            }
            // A run whose cluster is Operational or Failed has made its last change; only its bookkeeping is left.
            var settled = (string)db.Entry(row).Property(r => r.Phase).OriginalValue! is ClusterPhases.Operational or ClusterPhases.Failed;
            if (!settled && await db.WorkflowRuns.AnyAsync(r => r.Workflow == ClusterWorkflows.Converge && r.Target == target
                    && (r.State == RunState.Pending || r.State == RunState.Running || r.State == RunState.Compensating), cancellationToken))
            {
                throw new ResourceConflictException("operation-in-progress", "The cluster is changing.",
                    $"Cluster '{row.Name}' is still carrying out its last change; wait for operation {row.Operation} to end, then apply again.");
            }
            var before = JsonSerializer.Deserialize<ClusterSpec>((string)db.Entry(row).Property(r => r.Spec).OriginalValue!, ClusterJson.Options)!;
            var after = resource.Spec!;
            row.Phase = before.Kubernetes?.Version != after.Kubernetes?.Version ? ClusterPhases.Upgrading
                : !before.Pools!.Select(p => (p.Name, p.Count)).SequenceEqual(after.Pools!.Select(p => (p.Name, p.Count))) ? ClusterPhases.Scaling
                : row.Access is null ? ClusterPhases.Requested
                : ClusterPhases.Updating;
            row.Reason = null;
        }
        var run = workflows().Stage(db, ClusterWorkflows.Converge, target, new JsonObject { ["cluster"] = row.Id.ToString(), ["tenant"] = scope.Name });
        row.Operation = run.Id;
        workflows().Wake();
    }

    public async Task<IReadOnlyList<Cluster>> ReadAsync(DflareDbContext db, IReadOnlyList<ClusterRow> rows, TenantRow scope, CancellationToken cancellationToken)
    {
        var ids = rows.Select(r => r.Id).ToList();
        var nodes = await (from a in db.NodeAllocations.AsNoTracking()
                           join n in db.Nodes.AsNoTracking() on a.NodeId equals n.Id
                           join r in db.Racks.AsNoTracking() on n.Rack equals r.Name
                           where ids.Contains(a.ClusterId)
                           orderby a.Node
                           select new { a.ClusterId, Status = new ClusterNodeStatus(a.Node, a.Pool, a.GpuModel, a.Gpus, r.Name, r.EthernetLeaf, r.InfinibandLeaf) })
            .ToListAsync(cancellationToken);
        var mounts = await (from m in db.ClusterMounts.AsNoTracking()
                            join v in db.Volumes.AsNoTracking() on m.VolumeId equals v.Id
                            where ids.Contains(m.ClusterId)
                            orderby v.Name
                            select new { m.ClusterId, Status = new ClusterMountStatus(v.Name, m.MountPath, m.ReadOnly) }).ToListAsync(cancellationToken);
        return [.. rows.Select(r => ToResource(r, scope,
            [.. nodes.Where(n => n.ClusterId == r.Id).Select(n => n.Status)], [.. mounts.Where(m => m.ClusterId == r.Id).Select(m => m.Status)]))];
    }

    public Cluster ToResource(ClusterRow row, TenantRow scope) => ToResource(row, scope, [], []);

    private Cluster ToResource(ClusterRow row, TenantRow scope, IReadOnlyList<ClusterNodeStatus> nodes, IReadOnlyList<ClusterMountStatus> mounts) => new()
    {
        ApiVersion = ApiVersions.V1,
        Kind = Kind,
        Metadata = Envelope.MetadataOf(row, scope.Name),
        Spec = SpecOf(row),
        Status = new ClusterStatus
        {
            Phase = row.Phase, Reason = row.Reason, Operation = row.Operation, KubernetesVersion = row.RunningVersion, Nodes = nodes, Volumes = mounts,
        },
    };

    public static ClusterSpec SpecOf(ClusterRow row) => JsonSerializer.Deserialize<ClusterSpec>(row.Spec, ClusterJson.Options)!;

    public static string Target(string tenant, string name) => $"cluster/{tenant}/{name}";
}

public static class ClusterJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };
}

public static class ClusterWorkflows
{
    public const string Converge = "converge-cluster";
    public const string Delete = "delete-cluster";
}
