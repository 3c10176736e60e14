using System.Text.Json;
using Dflare.Persistence.Metering;

namespace Dflare.Core.Metering;

/// <summary>One hour of one meter for one project, user and cluster of a tenant.</summary>
public sealed record UsageKey(string Project, string User, string Cluster, string Meter, string Dimension, DateTimeOffset Hour);

/// <summary>What an hour amounts to, in the meter's base unit, and the events that produced it.</summary>
public sealed class HourUsage
{
    public decimal Quantity { get; set; }

    public SortedSet<string> Events { get; } = new(StringComparer.Ordinal);
}

/// <summary>
/// Turns a tenant's raw events into hourly quantities, from scratch each time (so late events, duplicates and
/// arrival order cannot change the answer): level events become segments — from a start or resize to the next
/// change or the end — split at hour boundaries; a segment still open is counted up to <c>until</c>; transfers
/// count in the hour they happened. Quantities are exact decimals: unit-seconds, GB-seconds, bytes.
/// </summary>
public static class UsageMeters
{
    private const decimal BytesPerGb = 1_000_000_000m;

    public static Dictionary<UsageKey, HourUsage> Compute(IEnumerable<UsageEventRow> events, DateTimeOffset until)
    {
        var usage = new Dictionary<UsageKey, HourUsage>();
        // Events at the same moment are taken starts first, then by id: the answer never depends on arrival order.
        var bySubject = events.Where(e => e.Time < until).OrderBy(e => e.Time).ThenBy(e => IsEnd(e.Type) ? 1 : 0).ThenBy(e => e.Source, StringComparer.Ordinal)
            .ThenBy(e => e.EventId, StringComparer.Ordinal).GroupBy(e => (Family(e.Type), e.Subject));
        foreach (var subject in bySubject)
        {
            if (subject.Key.Item1 == "network")
            {
                foreach (var e in subject)
                {
                    var data = Data(e);
                    var key = new UsageKey(Str(data, "project"), Str(data, "user"), Str(data, "cluster"), Meter.NetworkGb.Name, Str(data, "direction"), Hour(e.Time));
                    Add(usage, key, UsageIngestor.Num(data, "bytes") ?? 0, e);
                }
                continue;
            }
            UsageEventRow? open = null;
            foreach (var e in subject)
            {
                if (open is not null)
                {
                    Segment(usage, open, e.Time, e);
                }
                open = IsEnd(e.Type) ? null : e;
            }
            if (open is not null)
            {
                Segment(usage, open, until, null);
            }
        }
        return usage;
    }

    /// <summary>The hour a moment falls in.</summary>
    public static DateTimeOffset Hour(DateTimeOffset time)
    {
        var utc = time.ToUniversalTime();
        return new DateTimeOffset(utc.Year, utc.Month, utc.Day, utc.Hour, 0, 0, TimeSpan.Zero);
    }

    /// <summary>What a segment meters per unit-second: (meter, dimension, level).</summary>
    private static IEnumerable<(string Meter, string Dimension, decimal Level)> Levels(UsageEventRow start, JsonElement data) => Family(start.Type) switch
    {
        "node" =>
        [
            (Meter.AllocatedGpuHours.Name, Str(data, "gpuModel"), UsageIngestor.Num(data, "gpus") ?? 0),
            (Meter.CpuHours.Name, "", UsageIngestor.Num(data, "cpus") ?? 0),
            (Meter.MemoryGbHours.Name, "", UsageIngestor.Num(data, "memoryGiB") ?? 0),
        ],
        "workload" =>
        [
            (Meter.GpuHours.Name, Str(data, "migProfile") is { Length: > 0 } mig ? $"{Str(data, "gpuModel")}/{mig}" : Str(data, "gpuModel"), UsageIngestor.Num(data, "gpus") ?? 0),
        ],
        _ => [(Meter.StorageGbHours.Name, Str(data, "tier"), (UsageIngestor.Num(data, "sizeBytes") ?? 0) / BytesPerGb)],
    };

    private static void Segment(Dictionary<UsageKey, HourUsage> usage, UsageEventRow start, DateTimeOffset end, UsageEventRow? closing)
    {
        var data = Data(start);
        var levels = Levels(start, data).Where(l => l.Level > 0).ToList();
        for (var hour = Hour(start.Time); hour < end && levels.Count > 0; hour = hour.AddHours(1))
        {
            var from = start.Time > hour ? start.Time : hour;
            var to = end < hour.AddHours(1) ? end : hour.AddHours(1);
            if (to <= from)
            {
                continue;
            }
            var seconds = (decimal)(to - from).Ticks / TimeSpan.TicksPerSecond;
            foreach (var (meter, dimension, level) in levels)
            {
                var key = new UsageKey(Str(data, "project"), Str(data, "user"), Str(data, "cluster"), meter, dimension, hour);
                Add(usage, key, level * seconds, start);
                if (closing is not null)
                {
                    usage[key].Events.Add(EventName(closing));
                }
            }
        }
    }

    private static void Add(Dictionary<UsageKey, HourUsage> usage, UsageKey key, decimal quantity, UsageEventRow e)
    {
        if (!usage.TryGetValue(key, out var hour))
        {
            usage[key] = hour = new HourUsage();
        }
        hour.Quantity += quantity;
        hour.Events.Add(EventName(e));
    }

    public static string EventName(UsageEventRow e) => $"{e.Source}#{e.EventId}";

    private static string Family(string type) => type.Split('.')[1];

    private static bool IsEnd(string type) => type is UsageEventTypes.NodeReleased or UsageEventTypes.WorkloadStopped or UsageEventTypes.VolumeDeleted;

    private static JsonElement Data(UsageEventRow e) => JsonSerializer.Deserialize<JsonElement>(e.Data);

    private static string Str(JsonElement data, string name) => UsageIngestor.Str(data, name) ?? "";
}
