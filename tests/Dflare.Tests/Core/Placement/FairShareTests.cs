using Dflare.Core.Placement;

namespace Dflare.Tests.Core.Placement;

/// <summary>Two tenants competing for scarce GPUs: the one holding less of the fleet is served first, whoever asked first.</summary>
public sealed class FairShareTests
{
    private static List<PlacementNode> Fleet(int nodes) =>
        [.. Enumerable.Range(0, nodes).Select(i => new PlacementNode($"n{i:00}", $"r{i / 4}", $"leaf{i / 4}", $"ib{i / 4}", "h100", "H100", 8, true))];

    private static PlacementRequest Ask(string tenant, int nodes) => new(tenant, [new PoolRequest("gpu", "h100", null, nodes, PlacementConstraint.Packed)]);

    [Fact]
    public void WhenCapacityIsShort_TheTenantWithTheLowerDominantShareGoesFirst_AndTheOtherWaitsWithAReason()
    {
        var index = new FleetIndex(Fleet(16));
        index.Allocate([.. Enumerable.Range(0, 12).Select(i => $"n{i:00}")]); // 12 of 16 nodes held by tenant a
        var held = new Dictionary<string, Dictionary<string, int>> { ["a"] = new() { ["H100"] = 96 } };
        var totals = new Dictionary<string, int> { ["H100"] = 128 };
        var early = new QueuedRequest(Guid.CreateVersion7(), DateTimeOffset.UnixEpoch, Ask("a", 4));
        var late = new QueuedRequest(Guid.CreateVersion7(), DateTimeOffset.UnixEpoch.AddMinutes(5), Ask("b", 4));

        var results = FairShare.Pass(index, [early, late], held, totals, (_, _) => null);

        Assert.True(results.Single(r => r.Id == late.Id).Decision.Placed);
        var waiting = results.Single(r => r.Id == early.Id).Decision;
        Assert.False(waiting.Placed);
        Assert.Equal("pool 'gpu' needs 4 nodes of SKU h100; 0 are free", waiting.Reason);
        Assert.Equal(32, held["b"]["H100"]);
        Assert.Equal(0, index.FreeCount);
    }

    [Fact]
    public void EqualShares_AreServedInArrivalOrder_AndShareIsRecomputedAfterEachPlacement()
    {
        var index = new FleetIndex(Fleet(8));
        var held = new Dictionary<string, Dictionary<string, int>>();
        var totals = new Dictionary<string, int> { ["H100"] = 64 };
        var a1 = new QueuedRequest(Guid.CreateVersion7(), DateTimeOffset.UnixEpoch, Ask("a", 2));
        var a2 = new QueuedRequest(Guid.CreateVersion7(), DateTimeOffset.UnixEpoch.AddSeconds(1), Ask("a", 2));
        var b1 = new QueuedRequest(Guid.CreateVersion7(), DateTimeOffset.UnixEpoch.AddSeconds(2), Ask("b", 4));
        var c1 = new QueuedRequest(Guid.CreateVersion7(), DateTimeOffset.UnixEpoch.AddSeconds(3), Ask("c", 4));

        var results = FairShare.Pass(index, [c1, b1, a2, a1], held, totals, (_, _) => null);

        // a1 first (all at share 0, earliest); then b1 and c1 (still share 0) come before a's second request (a now
        // holds a quarter); c1 does not fit in what is left and keeps its place, and a2 backfills the last two nodes.
        Assert.Equal<Guid>([a1.Id, b1.Id, c1.Id, a2.Id], [.. results.Select(r => r.Id)]);
        Assert.True(results[0].Decision.Placed && results[1].Decision.Placed);
        Assert.False(results[2].Decision.Placed);
        Assert.True(results[3].Decision.Placed);
    }

    [Fact]
    public void ARequestOverQuota_IsRefusedAsSuch_AndTakesNothing()
    {
        var index = new FleetIndex(Fleet(8));
        var results = FairShare.Pass(index, [new QueuedRequest(Guid.CreateVersion7(), DateTimeOffset.UnixEpoch, Ask("a", 3))],
            new Dictionary<string, Dictionary<string, int>>(), new Dictionary<string, int> { ["H100"] = 64 }, (_, _) => 16);
        Assert.True(results[0].OverQuota);
        Assert.Equal("tenant 'a' would hold 24 H100 GPUs; its quota is 16 (it holds 0)", results[0].Decision.Reason);
        Assert.Equal(8, index.FreeCount);
    }
}
