using Dflare.Core.Metering;
using Dflare.Persistence.Metering;

namespace Dflare.Tests.Core.Metering;

/// <summary>How raw events become hourly quantities: segments split at hour boundaries, resizes, open segments, order.</summary>
public sealed class UsageMetersTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 3, 10, 0, 0, TimeSpan.Zero);

    private static UsageEventRow Row(long sequence, string type, string subject, DateTimeOffset time, string data) => new()
    {
        Source = "s", EventId = $"e{sequence}", Type = type, Subject = subject, Time = time, Tenant = "acme", Data = data, ReceivedAt = time,
    };

    private const string Node = """{"tenant":"acme","project":"p","cluster":"c","gpuModel":"H100","gpus":8,"cpus":100,"memoryGiB":10}""";

    [Fact]
    public void AnAllocation_IsSplitAtHourBoundaries_InUnitSeconds()
    {
        var usage = UsageMeters.Compute(
            [Row(2, UsageEventTypes.NodeReleased, "n1", T0.AddMinutes(90), Node), Row(1, UsageEventTypes.NodeAllocated, "n1", T0.AddMinutes(30), Node)],
            T0.AddHours(5));
        var gpu = usage.Where(u => u.Key.Meter == "allocated-gpu-hours").OrderBy(u => u.Key.Hour).ToList();
        Assert.Equal([T0, T0.AddHours(1)], gpu.Select(g => g.Key.Hour));
        Assert.Equal([8m * 1800, 8m * 1800], gpu.Select(g => g.Value.Quantity));
        Assert.Equal(100m * 1800, usage.Single(u => u.Key.Meter == "cpu-hours" && u.Key.Hour == T0).Value.Quantity);
        Assert.Equal(["s#e1", "s#e2"], gpu[1].Value.Events);
    }

    [Fact]
    public void AResize_ChangesTheLevel_AndAnOpenSegmentCountsUpToTheHorizon()
    {
        const string small = """{"tenant":"acme","project":"p","tier":"Platform","sizeBytes":1000000000}""";
        const string big = """{"tenant":"acme","project":"p","tier":"Platform","sizeBytes":3000000000}""";
        var usage = UsageMeters.Compute(
            [Row(1, UsageEventTypes.VolumeProvisioned, "v", T0, small), Row(2, UsageEventTypes.VolumeResized, "v", T0.AddMinutes(15), big)],
            T0.AddHours(2));
        Assert.Equal(1m * 900 + 3m * 2700, usage.Single(u => u.Key.Hour == T0).Value.Quantity);
        Assert.Equal(3m * 3600, usage.Single(u => u.Key.Hour == T0.AddHours(1)).Value.Quantity);
        Assert.Equal(2, usage.Count);
    }

    [Fact]
    public void Transfers_CountInTheirHour_ByDirection()
    {
        const string egress = """{"tenant":"acme","project":"p","cluster":"c","direction":"egress","bytes":500}""";
        var usage = UsageMeters.Compute(
            [Row(1, UsageEventTypes.NetworkTransferred, "c", T0.AddMinutes(5), egress), Row(2, UsageEventTypes.NetworkTransferred, "c", T0.AddMinutes(55), egress),
             Row(3, UsageEventTypes.NetworkTransferred, "c", T0.AddHours(3), egress)],
            T0.AddHours(2));
        Assert.Equal(1000m, usage.Single().Value.Quantity);
        Assert.Equal("egress", usage.Single().Key.Dimension);
    }
}
