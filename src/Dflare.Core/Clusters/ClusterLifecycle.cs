using System.Text.Json;
using System.Text.Json.Nodes;
using Dflare.Core.Inventory;
using Dflare.Core.Workflows;
using Dflare.Persistence.Workflows;
using Microsoft.EntityFrameworkCore;

namespace Dflare.Core.Clusters;

public sealed partial class ClusterLifecycle
{
    public WorkflowDefinition Converge() => new()
    {
        Name = ClusterWorkflows.Converge,
        // Not single-active: a change may start while the last run finishes its bookkeeping (ClusterKind refuses a change
        // while one is really under way); a run only writes the cluster's phase while it is the cluster's operation.
        Steps =
        [
            Step("place", ClusterPhases.Requested, PlaceAsync, settings.PlacementDeadline),
            Step("network", null, NetworkAsync),
            Step("storage", null, StorageAsync),
            Step("control-plane", ClusterPhases.ControlPlaneInit, async (context, c, ct) =>
            {
                var plan = await PlanAsync(context, c, ct);
                var access = await RuntimeOf(c.Cluster).EnsureControlPlaneAsync(plan, ct);
                await SetAsync(context, x => { x.Access = JsonSerializer.Serialize(access, ClusterJson.Options); x.RunningVersion = plan.KubernetesVersion; }, ct);
                return StepResult.Done(new JsonObject { ["endpoint"] = access.Endpoint, ["kubernetesVersion"] = plan.KubernetesVersion });
            }),
            Step("workers", ClusterPhases.WorkerAttach, WorkersAsync),
            Step("gpu-runtime", ClusterPhases.GpuRuntime, async (context, c, ct) =>
            {
                await RuntimeOf(c.Cluster).InstallGpuRuntimeAsync(await PlanAsync(context, c, ct), ct);
                return StepResult.Done();
            }),
            Step("validation", ClusterPhases.Validation, async (context, c, ct) =>
            {
                var checks = await RuntimeOf(c.Cluster).ValidateAsync(await PlanAsync(context, c, ct), ct);
                var output = JsonSerializer.SerializeToNode(checks, ClusterJson.Options);
                var failed = checks.Where(x => !x.Healthy).ToList();
                return failed.Count == 0 ? StepResult.Done(output)
                    : StepResult.Permanent($"validation failed on {string.Join("; ", failed.Select(f => $"{f.Node}: {f.Detail}"))}");
            }),
            Step("operational", null, async (context, c, ct) =>
            {
                await SetAsync(context, x =>
                {
                    if (x.Operation == context.RunId)
                    {
                        x.Phase = ClusterPhases.Operational;
                        x.Reason = null;
                    }
                }, ct);
                return StepResult.Done();
            }),
        ],
    };

    public WorkflowDefinition Delete() => new()
    {
        Name = ClusterWorkflows.Delete,
        SingleActivePerTarget = true,
        Steps =
        [
            Step("stop", null, async (context, c, ct) =>
            {
                // A change in flight is cancelled first, so nothing allocates behind the delete's back.
                var active = false;
                await context.WriteAsync(async (db, token) =>
                {
                    var target = ClusterKind.Target(c.Tenant.Name, c.Cluster.Name);
                    var runs = await db.WorkflowRuns.AsNoTracking()
                        .Where(r => r.Workflow == ClusterWorkflows.Converge && r.Target == target
                            && (r.State == RunState.Pending || r.State == RunState.Running || r.State == RunState.Compensating))
                        .Select(r => r.Id).ToListAsync(token);
                    active = runs.Count > 0;
                    foreach (var run in runs)
                    {
                        await workflows().RequestCancelAsync(db, run, token);
                    }
                }, ct);
                return active ? StepResult.WaitFor("waiting for the cluster's last change to stop", TimeSpan.FromMilliseconds(500)) : StepResult.Done();
            }),
            Step("drain", null, async (context, c, ct) =>
            {
                if (c.Cluster.Access is not null)
                {
                    var plan = await PlanAsync(context, c, ct);
                    await RuntimeOf(c.Cluster).DrainAsync(plan, [.. plan.Nodes.Select(n => n.Name)], ct);
                }
                return StepResult.Done();
            }),
            Step("teardown", null, async (context, c, ct) =>
            {
                await RuntimeOf(c.Cluster).TeardownAsync(c.Cluster.Id, ct);
                return StepResult.Done();
            }),
            Step("release", null, async (context, c, ct) =>
            {
                IReadOnlyList<ClusterPlans.Allocated> all = [];
                await context.WriteAsync(async (db, token) =>
                {
                    var (keep, leave) = await ClusterPlans.NodesAsync(db, c.Cluster, ClusterKind.SpecOf(c.Cluster), token);
                    all = [.. keep, .. leave];
                    await db.ClusterMounts.Where(m => m.ClusterId == c.Cluster.Id).ExecuteDeleteAsync(token);
                }, ct);
                await ReleaseAsync(context, c, all, ct);
                if (ClusterKind.SpecOf(c.Cluster).Network is null)
                {
                    await context.WriteAsync((db, token) => new ManagedNetwork(workflows, time).DeleteAsync(db, c.Cluster, c.Tenant, token), ct);
                    workflows().Wake();
                }
                return StepResult.Done(new JsonObject { ["released"] = new JsonArray([.. all.Select(n => (JsonNode)n.Node.Name)]) });
            }),
            Step("remove", null, async (context, c, ct) =>
            {
                await context.WriteAsync((db, token) => db.Clusters.Where(x => x.Id == c.Cluster.Id).ExecuteDeleteAsync(token), ct);
                return StepResult.Done();
            }),
        ],
    };

    /// <summary>One placement pass for every waiting cluster; this cluster goes on once its pools are full.</summary>
    private async Task<StepResult> PlaceAsync(StepContext context, Context c, CancellationToken ct)
    {
        ClusterPlacement.Outcome? outcome = null;
        await context.WriteAsync(async (db, token) => outcome = await ClusterPlacement.PassAsync(db, time.GetUtcNow(), token), ct);
        foreach (var other in outcome!.Placed.Where(id => id != c.Cluster.Id))
        {
            await context.WriteAsync(async (db, token) =>
            {
                var run = await db.Clusters.AsNoTracking().Where(x => x.Id == other).Select(x => x.Operation).FirstOrDefaultAsync(token);
                if (run is { } id)
                {
                    await workflows().WakeAsync(db, id, token);
                }
            }, ct);
        }
        if (outcome.OverQuota.TryGetValue(c.Cluster.Id, out var quota))
        {
            return StepResult.Permanent($"over quota: {quota}");
        }
        if (outcome.Waiting.TryGetValue(c.Cluster.Id, out var reason))
        {
            return StepResult.WaitFor($"waiting for capacity: {reason}", settings.PlacementPoll);
        }
        return StepResult.Done(new JsonObject { ["placed"] = outcome.Placed.Contains(c.Cluster.Id) });
    }

    /// <summary>Drains and gives back the nodes a shrinking pool no longer keeps, joins the kept ones, and marks them
    /// Allocated.</summary>
    private async Task<StepResult> WorkersAsync(StepContext context, Context c, CancellationToken ct)
    {
        var plan = await PlanAsync(context, c, ct);
        IReadOnlyList<ClusterPlans.Allocated> leaving = [];
        await context.WriteAsync(async (db, token) => (_, leaving) = await ClusterPlans.NodesAsync(db, c.Cluster, plan.Spec, token), ct);
        var runtime = RuntimeOf(c.Cluster);
        if (leaving.Count > 0)
        {
            await runtime.DrainAsync(plan, [.. leaving.Select(l => l.Node.Name)], ct);
        }
        await runtime.JoinAsync(plan, ct);
        if (leaving.Count > 0)
        {
            await ReleaseAsync(context, c, leaving, ct);
        }
        await context.WriteAsync(async (db, token) =>
        {
            var names = plan.Nodes.Select(n => n.Name).ToList();
            foreach (var node in await db.Nodes.Where(n => names.Contains(n.Name) && n.State == nameof(NodeState.Ready)).ToListAsync(token))
            {
                NodeTransitions.Move(db, node, NodeState.Allocated, time.GetUtcNow(), context.RunId, $"in cluster {c.Tenant.Name}/{c.Cluster.Name}");
            }
            await db.SaveChangesAsync(token);
        }, ct);
        return StepResult.Done(new JsonObject
        {
            ["joined"] = new JsonArray([.. plan.Nodes.Select(n => (JsonNode)n.Name)]),
            ["released"] = new JsonArray([.. leaving.Select(n => (JsonNode)n.Node.Name)]),
        });
    }
}
