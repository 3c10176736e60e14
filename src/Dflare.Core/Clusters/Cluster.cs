using Dflare.Core.Resources;

namespace Dflare.Core.Clusters;

/// <summary>A tenant's Kubernetes or Slurm cluster as the API shows it.</summary>
public sealed record Cluster : IResource
{
    public const string KindName = "Cluster";

    public string? ApiVersion { get; init; }

    public string? Kind { get; init; }

    public ObjectMeta? Metadata { get; init; }

    public ClusterSpec? Spec { get; init; }

    /// <summary>Observed state; ignored on writes.</summary>
    public ClusterStatus? Status { get; init; }
}

public sealed record ClusterSpec
{
    /// <summary>The tenant's project it belongs to.</summary>
    public string? Project { get; init; }

    /// <summary><c>kubernetes</c>, <c>slurm</c>, or <c>kubernetes+slurm</c> (Slurm as an overlay on the same nodes).</summary>
    public string? Type { get; init; }

    public KubernetesSpec? Kubernetes { get; init; }

    public IReadOnlyList<NodePoolSpec>? Pools { get; init; }

    public ClusterNetworkSpec? Network { get; init; }

    public IReadOnlyList<ClusterVolumeSpec>? Volumes { get; init; }

    public SlurmSpec? Slurm { get; init; }

    /// <summary>GPU runtime components; default: the NVIDIA device plugin (Kubernetes) or GRES (Slurm).</summary>
    public IReadOnlyList<AddOnSpec>? AddOns { get; init; }
}

/// <remarks><c>Version</c>: The minor version, <c>1.33</c> to <c>1.35</c>. <c>ControlPlaneNodes</c>: 1 (default) or 3: three stacked control-plane members with a three-member etcd.</remarks>
public sealed record KubernetesSpec(string? Version, int? ControlPlaneNodes = null);

/// <remarks><c>Sku</c>: The node model; or <paramref name="GpuModel"/> for any SKU with that GPU. <c>Mig</c>: <c>none</c> (default) or a MIG profile such as <c>1g.10gb</c> or <c>3g.40gb×2</c>.</remarks>
public sealed record NodePoolSpec(string? Name, string? Sku, string? GpuModel, int? Count, PlacementSpec? Placement, string? Mig);

/// <summary>At most one of these; none means packed (fewest leaf hops).</summary>
public sealed record PlacementSpec(bool SameRack = false, bool SameLeaf = false, bool SameInfinibandLeafGroup = false, bool Spread = false);

/// <summary>The tenant's VPC and the subnets every node joins.</summary>
public sealed record ClusterNetworkSpec(string? Vpc, IReadOnlyList<string>? Subnets);

/// <summary>A tenant volume to mount on every node.</summary>
public sealed record ClusterVolumeSpec(string? Name, string? MountPath, bool ReadOnly = false);

public sealed record SlurmSpec(IReadOnlyList<SlurmPartitionSpec>? Partitions, IReadOnlyList<SlurmQosSpec>? Qos, IReadOnlyList<SlurmAccountSpec>? Accounts);

/// <remarks><c>MaxTime</c>: Slurm's time format (<c>30</c>, <c>2:00:00</c>, <c>2-00:00:00</c>) or <c>48h</c>, <c>90m</c>, <c>2d</c>, or <c>UNLIMITED</c>.</remarks>
public sealed record SlurmPartitionSpec(string? Name, IReadOnlyList<string>? Pools, bool Default = false, string? MaxTime = null);

public sealed record SlurmQosSpec(string? Name, int? Priority = null, int? MaxGpusPerUser = null);

/// <remarks><c>Users</c>: The tenant's users (principal names) who submit under the account.</remarks>
public sealed record SlurmAccountSpec(string? Name, int? FairShare, IReadOnlyList<string>? Users = null, IReadOnlyList<string>? Qos = null);

public sealed record AddOnSpec(string? Name, string? Version = null);

public sealed record ClusterStatus
{
    /// <summary>Requested, ControlPlaneInit, WorkerAttach, GpuRuntime, Validation, Operational (the six phases of a new
    /// cluster); Scaling, Upgrading, Updating (a change to a running one); Deleting; Failed.</summary>
    public required string Phase { get; init; }

    public string? Reason { get; init; }

    /// <summary>The operation carrying out the last change: poll <c>/api/v1/operations/{id}</c>.</summary>
    public Guid? Operation { get; init; }

    /// <summary>The Kubernetes version running now (the spec says what it should run).</summary>
    public string? KubernetesVersion { get; init; }

    public IReadOnlyList<ClusterNodeStatus>? Nodes { get; init; }

    public IReadOnlyList<ClusterMountStatus>? Volumes { get; init; }
}

public sealed record ClusterNodeStatus(string Node, string Pool, string GpuModel, int Gpus, string Rack, string? Leaf, string? InfinibandLeaf);

public sealed record ClusterMountStatus(string Volume, string MountPath, bool ReadOnly);

public static class ClusterPhases
{
    public const string Requested = "Requested";
    public const string ControlPlaneInit = "ControlPlaneInit";
    public const string WorkerAttach = "WorkerAttach";
    public const string GpuRuntime = "GpuRuntime";
    public const string Validation = "Validation";
    public const string Operational = "Operational";
    public const string Scaling = "Scaling";
    public const string Upgrading = "Upgrading";
    public const string Updating = "Updating";
    public const string Deleting = "Deleting";
    public const string Failed = "Failed";
}

public static class ClusterTypes
{
    public const string Kubernetes = "kubernetes";
    public const string Slurm = "slurm";
    public const string KubernetesAndSlurm = "kubernetes+slurm";

    public static readonly IReadOnlyList<string> All = [Kubernetes, Slurm, KubernetesAndSlurm];

    public static bool HasKubernetes(string type) => type is Kubernetes or KubernetesAndSlurm;

    public static bool HasSlurm(string type) => type is Slurm or KubernetesAndSlurm;
}
