using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dflare.Core.Metering;

/// <summary>A usage event in CloudEvents 1.0 shape. <see cref="Data"/> always names the tenant and project; see
/// <see cref="UsageEventTypes"/> for what each type carries.</summary>
public sealed record UsageEvent
{
    /// <summary>CloudEvents names its attributes in lower case.</summary>
    [JsonPropertyName("specversion")]
    public string? SpecVersion { get; init; }

    public string? Id { get; init; }

    public string? Source { get; init; }

    public string? Type { get; init; }

    public string? Subject { get; init; }

    public DateTimeOffset? Time { get; init; }

    [JsonPropertyName("datacontenttype")]
    public string? DataContentType { get; init; }

    /// <summary>Kept as the JSON it arrived as: read without materialising it, stored as its raw text.</summary>
    public JsonElement? Data { get; init; }
}

/// <summary>A batch of usage events to ingest.</summary>
public sealed record UsageEventBatch(IReadOnlyList<UsageEvent>? Events);

/// <summary>
/// The event types and their data. A <b>level</b> type sets what a subject holds from its time on (a node's GPUs while
/// it is allocated, a running workload's GPUs, a volume's size); its end type sets it to nothing. Network transfers are
/// amounts at a moment.
/// </summary>
public static class UsageEventTypes
{
    /// <summary>Subject: the node. Data: tenant, project, cluster, user (optional), gpuModel, gpus, cpus, memoryGiB.</summary>
    public const string NodeAllocated = "dflare.node.allocated";
    public const string NodeReleased = "dflare.node.released";

    /// <summary>Subject: the workload. Data: tenant, project, cluster, user, gpuModel, gpus, migProfile (optional).</summary>
    public const string WorkloadStarted = "dflare.workload.started";
    public const string WorkloadStopped = "dflare.workload.stopped";

    /// <summary>Subject: the volume. Data: tenant, project, tier, sizeBytes (provisioned and resized).</summary>
    public const string VolumeProvisioned = "dflare.volume.provisioned";
    public const string VolumeResized = "dflare.volume.resized";
    public const string VolumeDeleted = "dflare.volume.deleted";

    /// <summary>Subject: the cluster or node. Data: tenant, project, cluster, direction (ingress or egress), bytes.</summary>
    public const string NetworkTransferred = "dflare.network.transferred";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal)
    {
        NodeAllocated, NodeReleased, WorkloadStarted, WorkloadStopped, VolumeProvisioned, VolumeResized, VolumeDeleted, NetworkTransferred,
    };
}

/// <summary>What is metered: its name, the unit a price is for, and how many base units make one.</summary>
public sealed record Meter(string Name, string Unit, decimal Divisor)
{
    /// <summary>GPU-hours of running workloads, by GPU model (and MIG profile).</summary>
    public static readonly Meter GpuHours = new("gpu-hours", "GPU-hour", 3600);

    /// <summary>GPU-hours of nodes allocated to clusters, by GPU model.</summary>
    public static readonly Meter AllocatedGpuHours = new("allocated-gpu-hours", "GPU-hour", 3600);

    public static readonly Meter CpuHours = new("cpu-hours", "CPU-hour", 3600);

    public static readonly Meter MemoryGbHours = new("memory-gb-hours", "GiB-hour", 3600);

    /// <summary>By storage tier; a GB is 10^9 bytes.</summary>
    public static readonly Meter StorageGbHours = new("storage-gb-hours", "GB-hour", 3600);

    /// <summary>By direction; quantities are bytes, prices per GB (10^9 bytes).</summary>
    public static readonly Meter NetworkGb = new("network-gb", "GB", 1_000_000_000);

    public static readonly IReadOnlyList<Meter> All = [GpuHours, AllocatedGpuHours, CpuHours, MemoryGbHours, StorageGbHours, NetworkGb];

    public static Meter? Named(string name) => All.FirstOrDefault(m => m.Name == name);
}
