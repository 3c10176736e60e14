using System.Text.Json;
using System.Text.Json.Nodes;
using Dflare.Persistence.Store;

namespace Dflare.Core.Metering;

/// <summary>Usage events the control plane emits itself, in the same transaction as the lifecycle change they record,
/// with ids derived from that change so a retried step emits nothing twice.</summary>
public static class UsageEmitter
{
    public const string VolumeSource = "dflare/volumes";
    public const string ClusterSource = "dflare/clusters";

    /// <summary>A node allocated to or released from a cluster: GPU-hours and node-hours run between the two.</summary>
    public static Task NodeAsync(
        DflareDbContext db, string type, string eventId, string node, string tenant, string project, string cluster, string gpuModel, int gpus, int cpus, int memoryGiB,
        DateTimeOffset now, CancellationToken cancellationToken) =>
        UsageIngestor.IngestAsync(db, [new UsageEvent
        {
            SpecVersion = "1.0", Id = eventId, Source = ClusterSource, Type = type, Subject = $"node/{node}", Time = now,
            Data = JsonSerializer.SerializeToElement(new JsonObject
            {
                ["tenant"] = tenant, ["project"] = project, ["cluster"] = cluster, ["gpuModel"] = gpuModel, ["gpus"] = gpus, ["cpus"] = cpus, ["memoryGiB"] = memoryGiB,
            }),
        }], now, cancellationToken);

    public static Task VolumeAsync(
        DflareDbContext db, string type, string eventId, Guid volume, string tenant, string project, string tier, long sizeBytes, DateTimeOffset now, CancellationToken cancellationToken) =>
        UsageIngestor.IngestAsync(db, [new UsageEvent
        {
            SpecVersion = "1.0", Id = eventId, Source = VolumeSource, Type = type, Subject = $"volume/{volume:N}", Time = now,
            Data = JsonSerializer.SerializeToElement(new JsonObject { ["tenant"] = tenant, ["project"] = project, ["tier"] = tier, ["sizeBytes"] = sizeBytes }),
        }], now, cancellationToken);
}
