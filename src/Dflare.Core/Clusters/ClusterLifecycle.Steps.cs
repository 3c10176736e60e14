using System.Text.Json;
using System.Text.Json.Nodes;
using Dflare.Core.Identity;
using Dflare.Core.Inventory;
using Dflare.Core.Metering;
using Dflare.Core.Network;
using Dflare.Core.Provisioning;
using Dflare.Core.Workflows;
using Dflare.Persistence.Clusters;
using Dflare.Persistence.Store;
using Dflare.Persistence.Tenancy;
using Dflare.Persistence.Workflows;
using Microsoft.EntityFrameworkCore;

namespace Dflare.Core.Clusters;

/// <summary>
/// The cluster lifecycle on the workflow engine, with the reference architecture's phases. <c>converge-cluster</c>
/// (create, scale, upgrade, any change): place → network → storage → control-plane → workers → gpu-runtime →
/// validation → operational; every step converges to the spec, so one workflow serves every change.
/// <c>delete-cluster</c>: stop → drain → teardown → release → remove. A step that cannot succeed leaves the cluster
/// Failed with the reason; its nodes stay allocated until the cluster is deleted (so nothing is lost to a half-done change).
/// </summary>
public sealed partial class ClusterLifecycle(
    ClusterRuntimes runtimes, NetworkSync sync, Func<WorkflowClient> workflows, IssuerAddress issuers, ClusterSettings settings, TimeProvider time)
{
    private sealed record Context(ClusterRow Cluster, TenantRow Tenant);

    private static Guid ClusterId(StepContext context) => Guid.Parse(context.Input!["cluster"]!.GetValue<string>());

    /// <summary>A step of a cluster workflow: reads the cluster, sets the phase (while the cluster is being created),
    /// and turns a permanent failure into the Failed phase with its reason.</summary>
    private StepDefinition Step(string name, string? phase, Func<StepContext, Context, CancellationToken, Task<StepResult>> body, TimeSpan? waitDeadline = null) => new()
    {
        Name = name,
        Timeout = TimeSpan.FromMinutes(5),
        WaitDeadline = waitDeadline ?? TimeSpan.FromMinutes(30),
        Execute = async (context, ct) =>
        {
            Context? found = null;
            await context.WriteAsync(async (db, token) =>
            {
                var cluster = await db.Clusters.FirstOrDefaultAsync(c => c.Id == ClusterId(context), token);
                if (cluster is null)
                {
                    return;
                }
                if (phase is not null && cluster.Phase != phase && CreationPhases.Contains(cluster.Phase) && cluster.Operation == context.RunId)
                {
                    cluster.Phase = phase;
                    cluster.UpdatedAt = time.GetUtcNow();
                    cluster.ResourceVersion++;
                    await db.SaveChangesAsync(token);
                }
                found = new Context(cluster, await db.Tenants.AsNoTracking().FirstAsync(t => t.Id == cluster.TenantId, token));
            }, ct);
            if (found is null)
            {
                return name == "remove" ? StepResult.Done() : StepResult.Permanent("the cluster no longer exists");
            }
            StepResult result;
            try
            {
                result = await body(context, found, ct);
            }
            catch (ClusterRuntimeException ex) when (ex.IsTransient)
            {
                return StepResult.Transient(ex.Message);
            }
            catch (ClusterRuntimeException ex)
            {
                result = StepResult.Permanent(ex.Message);
            }
            if (result is StepResult.Failed { IsPermanent: true } failed && context.Input!["delete"] is null)
            {
                await SetAsync(context, c =>
                {
                    if (c.Operation == context.RunId)
                    {
                        c.Phase = ClusterPhases.Failed;
                        c.Reason = Truncate($"{name}: {failed.Error}");
                    }
                }, ct);
            }
            return result;
        },
    };

    private static readonly HashSet<string> CreationPhases = new(StringComparer.Ordinal)
    {
        ClusterPhases.Requested, ClusterPhases.ControlPlaneInit, ClusterPhases.WorkerAttach, ClusterPhases.GpuRuntime, ClusterPhases.Validation,
    };

    private Task SetAsync(StepContext context, Action<ClusterRow> change, CancellationToken ct) => context.WriteAsync(async (db, token) =>
    {
        var cluster = await db.Clusters.FirstOrDefaultAsync(c => c.Id == ClusterId(context), token);
        if (cluster is not null)
        {
            change(cluster);
            cluster.UpdatedAt = time.GetUtcNow();
            cluster.ResourceVersion++;
            await db.SaveChangesAsync(token);
        }
    }, ct);

    private static string Truncate(string text) => text.Length <= 1024 ? text : text[..1021] + "...";

    private IClusterRuntime RuntimeOf(ClusterRow cluster) => runtimes.For(cluster.Runtime, cluster.Type);

    private async Task<ClusterPlan> PlanAsync(StepContext context, Context c, CancellationToken ct)
    {
        ClusterPlan? plan = null;
        await context.WriteAsync(async (db, token) =>
        {
            var cluster = await db.Clusters.AsNoTracking().FirstAsync(x => x.Id == c.Cluster.Id, token);
            plan = await ClusterPlans.PlanAsync(db, cluster, c.Tenant.Name, issuers.For(c.Tenant.Name), token);
        }, ct);
        return plan!;
    }

    /// <summary>Puts every kept node of the cluster on every subnet of its spec (addresses from IPAM), then has the
    /// fabrics carry it.</summary>
    private async Task<StepResult> NetworkAsync(StepContext context, Context c, CancellationToken ct)
    {
        string? problem = null;
        var fabrics = new List<string>();
        await context.WriteAsync(async (db, token) =>
        {
            var spec = ClusterKind.SpecOf(c.Cluster);
            var network = ManagedNetwork.Of(spec, c.Cluster.Name);
            var vpc = await db.Vpcs.AsNoTracking().FirstOrDefaultAsync(v => v.TenantId == c.Cluster.TenantId && v.Name == network.Vpc, token);
            if (vpc is null)
            {
                problem = $"the tenant has no VPC '{network.Vpc}' any more";
                return;
            }
            var fabric = await db.Fabrics.AsNoTracking().FirstAsync(f => f.Id == vpc.FabricId, token);
            fabrics.Add(fabric.Name);
            if (vpc.InfinibandFabricId is { } ib)
            {
                fabrics.Add(await db.Fabrics.AsNoTracking().Where(f => f.Id == ib).Select(f => f.Name).FirstAsync(token));
            }
            var links = (FabricKind.SpecOf(fabric).Links ?? []).GroupBy(l => l.Node!).ToDictionary(g => g.Key, g => g.OrderBy(l => l.Nic, StringComparer.Ordinal).First(), StringComparer.Ordinal);
            var subnets = await db.Subnets.AsNoTracking().Where(s => s.VpcId == vpc.Id && network.Subnets!.Contains(s.Name)).ToListAsync(token);
            if (subnets.Count != network.Subnets!.Count)
            {
                problem = $"VPC '{vpc.Name}' no longer has every subnet of the spec";
                return;
            }
            if (subnets.FirstOrDefault(s => s.Phase != NetworkPhases.Ready) is { } pending)
            {
                problem = pending.Phase == NetworkPhases.Failed ? $"subnet '{pending.Name}' failed: {pending.Reason}" : $"waiting: subnet '{pending.Name}' is {pending.Phase}";
                return;
            }
            var (keep, _) = await ClusterPlans.NodesAsync(db, c.Cluster, spec, token);
            foreach (var node in keep)
            {
                if (!links.TryGetValue(node.Node.Name, out var link))
                {
                    problem = $"node {node.Node.Name} has no cable on fabric {fabric.Name}";
                    return;
                }
                foreach (var subnet in network.Subnets.Select(name => subnets.First(s => s.Name == name)))
                {
                    await NetworkAttachments.AttachAsync(db, subnet.Id, node.Node.Name, link.Nic!, link.Switch!, link.Port!, time.GetUtcNow(), token);
                }
            }
        }, ct);
        if (problem is not null)
        {
            return problem.StartsWith("waiting: ", StringComparison.Ordinal) ? StepResult.WaitFor(problem, TimeSpan.FromMilliseconds(500)) : StepResult.Permanent(problem);
        }
        return await SyncAsync(fabrics, ct) ?? StepResult.Done(new JsonObject { ["fabrics"] = new JsonArray([.. fabrics.Select(f => (JsonNode)f)]) });
    }

    private async Task<StepResult?> SyncAsync(IEnumerable<string> fabrics, CancellationToken ct)
    {
        try
        {
            foreach (var fabric in fabrics)
            {
                await sync.SyncAsync(fabric, reconciling: false, ct);
            }
            return null;
        }
        catch (FabricDriverException ex)
        {
            return ex.IsTransient ? StepResult.Transient(ex.Message) : StepResult.Permanent(ex.Message);
        }
    }

    /// <summary>Records the spec's mounts (each volume Ready and its access map admitting the cluster) and drops the rest.</summary>
    private async Task<StepResult> StorageAsync(StepContext context, Context c, CancellationToken ct)
    {
        string? problem = null, waiting = null;
        IReadOnlyList<MountPlan> plan = [];
        await context.WriteAsync(async (db, token) =>
        {
            var wanted = ClusterKind.SpecOf(c.Cluster).Volumes ?? [];
            var names = wanted.Select(v => v.Name!).ToList();
            var volumes = await db.Volumes.AsNoTracking().Where(v => v.TenantId == c.Cluster.TenantId && names.Contains(v.Name)).ToListAsync(token);
            var mounts = await db.ClusterMounts.Where(m => m.ClusterId == c.Cluster.Id).ToListAsync(token);
            foreach (var want in wanted)
            {
                var volume = volumes.FirstOrDefault(v => v.Name == want.Name);
                if (volume is null)
                {
                    problem = $"the tenant has no volume '{want.Name}' any more";
                    return;
                }
                var access = JsonSerializer.Deserialize<Volumes.VolumeAccessMap>(volume.AccessMap, Volumes.VolumeKind.JsonOptions);
                if (access?.Clusters is { Count: > 0 } allowed && !allowed.Contains(c.Cluster.Name))
                {
                    problem = $"volume '{volume.Name}' admits clusters {string.Join(", ", allowed)}; add '{c.Cluster.Name}' to its spec.accessMap.clusters";
                    return;
                }
                if (volume.Phase != Volumes.VolumePhases.Ready)
                {
                    waiting = $"volume '{volume.Name}' is {volume.Phase}";
                    return;
                }
                var path = want.MountPath ?? volume.MountPath;
                var mount = mounts.FirstOrDefault(m => m.VolumeId == volume.Id);
                if (mount is null)
                {
                    db.ClusterMounts.Add(new ClusterMountRow { ClusterId = c.Cluster.Id, VolumeId = volume.Id, MountPath = path, ReadOnly = want.ReadOnly });
                }
                else
                {
                    (mount.MountPath, mount.ReadOnly) = (path, want.ReadOnly);
                }
            }
            db.ClusterMounts.RemoveRange(mounts.Where(m => !volumes.Any(v => v.Id == m.VolumeId)));
            await db.SaveChangesAsync(token);
            plan = await ClusterPlans.MountsAsync(db, c.Cluster, c.Tenant.Name, token);
        }, ct);
        return problem is not null ? StepResult.Permanent(problem)
            : waiting is not null ? StepResult.WaitFor(waiting, TimeSpan.FromSeconds(2))
            : StepResult.Done(JsonSerializer.SerializeToNode(plan, ClusterJson.Options));
    }

    /// <summary>Gives nodes back: off their subnets, out of the cluster, then Draining and re-provisioned from the
    /// golden image (the wipe) before anyone else gets them. Idempotent.</summary>
    private async Task ReleaseAsync(StepContext context, Context c, IReadOnlyList<ClusterPlans.Allocated> nodes, CancellationToken ct)
    {
        var fabrics = new HashSet<string>(StringComparer.Ordinal);
        await context.WriteAsync(async (db, token) =>
        {
            var now = time.GetUtcNow();
            var ids = nodes.Select(n => n.NodeId).ToList();
            var names = nodes.Select(n => n.Node.Name).ToList();
            var attachments = await (from a in db.NetworkAttachments.AsNoTracking()
                                     join s in db.Subnets.AsNoTracking() on a.SubnetId equals s.Id
                                     join v in db.Vpcs.AsNoTracking() on s.VpcId equals v.Id
                                     where names.Contains(a.Node) && v.TenantId == c.Cluster.TenantId
                                     select new { a.SubnetId, a.Node, v.FabricId, v.InfinibandFabricId }).ToListAsync(token);
            foreach (var a in attachments)
            {
                await NetworkAttachments.DetachAsync(db, a.SubnetId, a.Node, token);
            }
            var fabricIds = attachments.SelectMany(a => new[] { a.FabricId, a.InfinibandFabricId ?? Guid.Empty }).Distinct().ToList();
            fabrics.UnionWith(await db.Fabrics.AsNoTracking().Where(f => fabricIds.Contains(f.Id)).Select(f => f.Name).ToListAsync(token));
            var allocations = await db.NodeAllocations.Where(a => a.ClusterId == c.Cluster.Id && ids.Contains(a.NodeId)).ToListAsync(token);
            foreach (var node in await db.Nodes.Where(n => ids.Contains(n.Id)).ToListAsync(token))
            {
                var allocation = allocations.FirstOrDefault(a => a.NodeId == node.Id);
                if (allocation is null)
                {
                    continue;
                }
                var sku = await db.Skus.AsNoTracking().FirstAsync(s => s.Name == node.Sku, token);
                await UsageEmitter.NodeAsync(db, UsageEventTypes.NodeReleased, $"{c.Cluster.Id:N}-{node.Name}-released", node.Name, c.Tenant.Name, c.Cluster.Project,
                    c.Cluster.Name, allocation.GpuModel, allocation.Gpus, sku.Cpus, sku.MemoryGiB, now, token);
                db.NodeAllocations.Remove(allocation);
                if (node.State == nameof(NodeState.Allocated))
                {
                    NodeTransitions.Move(db, node, NodeState.Draining, now, context.RunId, $"released by cluster {c.Tenant.Name}/{c.Cluster.Name}; wiped before reuse");
                    workflows().Stage(db, ProvisionNodeWorkflow.Name, ProvisionNodeWorkflow.Target(node.Name), new JsonObject { ["node"] = node.Name });
                }
            }
            try
            {
                await db.SaveChangesAsync(token);
            }
            catch (DbUpdateException ex) when (StoreErrors.IsUniqueViolation(ex))
            {
                // A node's provisioning already active (an operator started one): it wipes the node all the same.
                throw new ClusterRuntimeException("a node being released is already being provisioned; retrying", isTransient: true, ex);
            }
        }, ct);
        workflows().Wake();
        await SyncAsync(fabrics, ct);
        await WakeWaitingAsync(context, ct);
    }

    /// <summary>Capacity came back: clusters waiting in placement look again now rather than at their next poll.</summary>
    private async Task WakeWaitingAsync(StepContext context, CancellationToken ct)
    {
        var runs = new List<Guid>();
        await context.WriteAsync(async (db, token) => runs = await db.WorkflowRuns.AsNoTracking()
            .Where(r => r.Workflow == ClusterWorkflows.Converge && r.Id != context.RunId && (r.State == RunState.Pending || r.State == RunState.Running))
            .Select(r => r.Id).ToListAsync(token), ct);
        foreach (var run in runs)
        {
            await context.WriteAsync((db, token) => workflows().WakeAsync(db, run, token), ct);
        }
    }
}
