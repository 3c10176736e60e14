using System.Collections.Concurrent;

namespace Dflare.Core.Clusters;

/// <summary>
/// The simulated datacenter's cluster runtime (the embedded default): keeps each cluster's control plane, version,
/// workers and GPU runtime in memory and follows the same rules a real one does (no join before the control plane,
/// no upgrade by more than one minor, no validation before the GPU runtime). Tests make a node fail validation.
/// </summary>
public sealed class SimulatedClusterRuntime : IClusterRuntime
{
    private readonly ConcurrentDictionary<Guid, State> _clusters = new();
    private readonly ConcurrentDictionary<string, string> _failing = new(StringComparer.Ordinal);

    private sealed class State
    {
        public string? Version { get; set; }

        public HashSet<string> Workers { get; } = new(StringComparer.Ordinal);

        public HashSet<string> Cordoned { get; } = new(StringComparer.Ordinal);

        public bool GpuRuntime { get; set; }
    }

    /// <summary>The clusters this runtime is running now.</summary>
    public IReadOnlyCollection<Guid> Running => [.. _clusters.Keys];

    public IReadOnlySet<string> WorkersOf(Guid cluster) => _clusters.TryGetValue(cluster, out var s) ? s.Workers.ToHashSet(StringComparer.Ordinal) : new HashSet<string>();

    /// <summary>Makes the node's smoke test fail with <paramref name="detail"/> (an XID, a missing GPU) until cleared.</summary>
    public void FailNode(string node, string detail) => _failing[node] = detail;

    public void ClearFaults() => _failing.Clear();

    public Task<ClusterAccess> EnsureControlPlaneAsync(ClusterPlan plan, CancellationToken cancellationToken)
    {
        var state = _clusters.GetOrAdd(plan.Id, _ => new State());
        lock (state)
        {
            if (plan.KubernetesVersion is { } wanted && state.Version is { } running && wanted != running && Minor(wanted) != Minor(running) + 1)
            {
                throw new ClusterRuntimeException($"cannot go from Kubernetes {running} to {wanted}: one minor version at a time", isTransient: false);
            }
            state.Version = plan.KubernetesVersion;
        }
        var controller = plan.ControlPlane[0];
        return Task.FromResult(ClusterTypes.HasKubernetes(plan.Type)
            ? new ClusterAccess($"https://{controller.Address}:6443", new Dictionary<string, string> { ["runtime"] = "simulated" })
            : new ClusterAccess($"{controller.Address}:6817", new Dictionary<string, string> { ["runtime"] = "simulated", ["slurmConf"] = SlurmRenderer.SlurmConf(plan, SlurmRenderOptions.Production) }));
    }

    public Task JoinAsync(ClusterPlan plan, CancellationToken cancellationToken)
    {
        var state = Existing(plan.Id, "join workers");
        lock (state)
        {
            var wanted = plan.Nodes.Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
            var undrained = state.Workers.Where(w => !wanted.Contains(w) && !state.Cordoned.Contains(w)).ToList();
            if (undrained.Count > 0)
            {
                throw new ClusterRuntimeException($"nodes {string.Join(", ", undrained)} leave without being drained", isTransient: false);
            }
            state.Workers.IntersectWith(wanted);
            state.Workers.UnionWith(wanted);
            state.Cordoned.IntersectWith(wanted);
        }
        return Task.CompletedTask;
    }

    public Task DrainAsync(ClusterPlan plan, IReadOnlyList<string> nodes, CancellationToken cancellationToken)
    {
        if (_clusters.TryGetValue(plan.Id, out var state))
        {
            lock (state)
            {
                state.Cordoned.UnionWith(nodes.Where(state.Workers.Contains));
            }
        }
        return Task.CompletedTask;
    }

    public Task InstallGpuRuntimeAsync(ClusterPlan plan, CancellationToken cancellationToken)
    {
        var state = Existing(plan.Id, "install the GPU runtime");
        lock (state)
        {
            state.GpuRuntime = true;
        }
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<NodeCheck>> ValidateAsync(ClusterPlan plan, CancellationToken cancellationToken)
    {
        var state = Existing(plan.Id, "validate");
        lock (state)
        {
            return Task.FromResult<IReadOnlyList<NodeCheck>>([.. plan.Nodes.Select(n =>
                !state.Workers.Contains(n.Name) ? new NodeCheck(n.Name, false, "not a member of the cluster")
                : !state.GpuRuntime ? new NodeCheck(n.Name, false, "no GPU runtime")
                : _failing.TryGetValue(n.Name, out var fault) ? new NodeCheck(n.Name, false, fault)
                : new NodeCheck(n.Name, true, $"smoke job saw {n.Gpus} × {n.GpuModel}"))]);
        }
    }

    public Task TeardownAsync(Guid cluster, CancellationToken cancellationToken)
    {
        _clusters.TryRemove(cluster, out _);
        return Task.CompletedTask;
    }

    private State Existing(Guid cluster, string what) =>
        _clusters.TryGetValue(cluster, out var state) ? state : throw new ClusterRuntimeException($"cannot {what}: the cluster has no control plane", isTransient: false);

    private static int Minor(string version) => int.Parse(version.AsSpan(version.IndexOf('.', StringComparison.Ordinal) + 1), System.Globalization.CultureInfo.InvariantCulture);
}
