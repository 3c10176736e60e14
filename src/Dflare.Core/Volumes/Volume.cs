using Dflare.Core.Resources;

namespace Dflare.Core.Volumes;

/// <summary>A tenant's volume as the API shows it.</summary>
public sealed record Volume : IResource
{
    public const string KindName = "Volume";

    public string? ApiVersion { get; init; }

    public string? Kind { get; init; }

    public ObjectMeta? Metadata { get; init; }

    public VolumeSpecification? Spec { get; init; }

    /// <summary>Observed state; ignored on writes.</summary>
    public VolumeStatus? Status { get; init; }
}

public sealed record VolumeSpecification
{
    /// <summary>The tenant's project it belongs to.</summary>
    public string? Project { get; init; }

    /// <summary>The storage backend it lives on.</summary>
    public string? Backend { get; init; }

    /// <summary>Byte quota. Default: the backend's default volume size. Grows freely; shrinks only above what is used.</summary>
    public long? SizeBytes { get; init; }

    /// <summary>Inode quota. Default: one per 64 KiB of size.</summary>
    public long? Inodes { get; init; }

    /// <summary><c>ReadWriteMany</c> (default) or <c>ReadOnlyMany</c>.</summary>
    public string? AccessMode { get; init; }

    /// <summary>Where nodes mount it. Default: <c>/mnt/{name}</c>.</summary>
    public string? MountPath { get; init; }

    /// <summary>Who may use it: numeric POSIX users and groups (a project's identity is a group).</summary>
    public IReadOnlyList<VolumeAclEntry>? Acl { get; init; }

    /// <summary>Which clusters and nodes may mount it.</summary>
    public VolumeAccessMap? AccessMap { get; init; }
}

public sealed record VolumeAccessMap(IReadOnlyList<string>? Clusters, IReadOnlyList<string>? Nodes);

public sealed record VolumeStatus
{
    /// <summary><c>Pending</c>, <c>Ready</c> or <c>Failed</c>.</summary>
    public required string Phase { get; init; }

    public string? Reason { get; init; }

    /// <summary>Where the backend keeps it.</summary>
    public string? Location { get; init; }

    public long UsedBytes { get; init; }

    public long UsedInodes { get; init; }

    /// <summary>True while usage is over quota and the backend refuses writes.</summary>
    public bool WritesStopped { get; init; }

    public DateTimeOffset? UsageAt { get; init; }
}
