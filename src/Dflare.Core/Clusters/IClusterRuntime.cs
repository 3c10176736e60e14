namespace Dflare.Core.Clusters;

/// <summary>Everything a runtime needs to know of a cluster, built from the store by each step.</summary>
/// <remarks><c>Issuer</c>: The tenant realm's OIDC issuer: the Kubernetes API server trusts its tokens.</remarks>
public sealed record ClusterPlan(
    Guid Id, string Tenant, string Project, string Name, string Type, ClusterSpec Spec, IReadOnlyList<PlanNode> Nodes,
    IReadOnlyList<MountPlan> Mounts, string Issuer)
{
    public string? KubernetesVersion => Spec.Kubernetes?.Version;

    /// <summary>The stacked control plane: the first one or three nodes by name.</summary>
    public IReadOnlyList<PlanNode> ControlPlane => [.. Nodes.Take(ClusterTypes.HasKubernetes(Type) ? Spec.Kubernetes?.ControlPlaneNodes ?? 1 : 1)];
}

/// <remarks><c>Address</c>: Its address on the cluster's first subnet. <c>Mig</c>: The pool's MIG setting (<c>none</c> or a profile).</remarks>
public sealed record PlanNode(
    string Name, string Pool, string Address, string GpuModel, int Gpus, int Cpus, int MemoryGiB, string Rack, string? Leaf, string? InfinibandLeaf, string Mig);

/// <summary>What every node of the cluster mounts, where, and how.</summary>
/// <remarks><c>Source</c>: What the mount command names (a Lustre target, an NFS export, a local directory).</remarks>
public sealed record MountPlan(string Volume, string Source, string MountPath, string FsType, string Options, bool ReadOnly);

/// <summary>How tenants reach a cluster once its control plane is up.</summary>
/// <remarks><c>Endpoint</c>: The Kubernetes API server URL or the Slurm controller's host:port. <c>Details</c>: Runtime-specific facts (the CA bundle, where slurm.conf is served, the munge socket…).</remarks>
public sealed record ClusterAccess(string Endpoint, IReadOnlyDictionary<string, string> Details);

public sealed record NodeCheck(string Node, bool Healthy, string Detail);

/// <summary>
/// The cluster runtime (a driver, as IFabricDriver is for networks): brings a control plane up, joins and drains
/// workers, installs the GPU runtime, validates. Every method converges to the plan and is idempotent: a step run
/// again after a crash calls it again with the same plan.
/// </summary>
public interface IClusterRuntime
{
    /// <summary>Brings the control plane up, or upgrades it to the plan's version (one minor step).</summary>
    Task<ClusterAccess> EnsureControlPlaneAsync(ClusterPlan plan, CancellationToken cancellationToken);

    /// <summary>Makes exactly the plan's nodes the cluster's workers (others must have been drained).</summary>
    Task JoinAsync(ClusterPlan plan, CancellationToken cancellationToken);

    /// <summary>Stops new work on the nodes and waits for what runs there to leave (or be requeued).</summary>
    Task DrainAsync(ClusterPlan plan, IReadOnlyList<string> nodes, CancellationToken cancellationToken);

    /// <summary>GPU runtime components: device plugin or operator and node labels (Kubernetes), GRES (Slurm).</summary>
    Task InstallGpuRuntimeAsync(ClusterPlan plan, CancellationToken cancellationToken);

    /// <summary>Health of every node and a smoke test that runs a GPU job on each.</summary>
    Task<IReadOnlyList<NodeCheck>> ValidateAsync(ClusterPlan plan, CancellationToken cancellationToken);

    /// <summary>Stops everything of the cluster and removes what the runtime kept for it.</summary>
    Task TeardownAsync(Guid cluster, CancellationToken cancellationToken);
}

public sealed class ClusterRuntimeException(string message, bool isTransient, Exception? inner = null) : DflareException(message, isTransient, inner);
