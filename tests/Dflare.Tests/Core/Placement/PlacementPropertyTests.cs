using CsCheck;
using Dflare.Core.Placement;

namespace Dflare.Tests.Core.Placement;

/// <summary>Placement on random fleets (racks, leaves shared or not, InfiniBand or not, two SKUs, some nodes taken)
/// and random gang requests: all or nothing, constraints kept, only free matching nodes, never one node twice, a
/// refusal only when no placement exists, and equal inputs give equal answers.</summary>
public sealed class PlacementPropertyTests
{
    private static readonly string[] Skus = ["h100", "a100"];

    private sealed record Fleet(IReadOnlyList<PlacementNode> Nodes, IReadOnlyList<string> Taken);

    private static readonly Gen<Fleet> Fleets =
        Gen.Select(Gen.Int[1, 8], Gen.Int[1, 12], Gen.Bool, Gen.Bool, Gen.Int[0, 1000].Array[0, 40], Gen.Int[0, 1])
            .Select((racks, perRack, sharedLeaves, infiniband, taken, mix) =>
            {
                var nodes = Enumerable.Range(0, racks).SelectMany(r => Enumerable.Range(0, perRack).Select(i =>
                {
                    var sku = Skus[(mix == 1 && i % 3 == 2) ? 1 : 0];
                    return new PlacementNode($"r{r}-n{i:00}", $"r{r}", sharedLeaves ? $"leaf{r / 2}" : $"leaf{r}", infiniband ? $"ib{r}" : null,
                        sku, sku == "h100" ? "H100" : "A100", 8, sku == "h100");
                })).ToList();
                return new Fleet(nodes, [.. taken.Select(t => nodes[t % nodes.Count].Name).Distinct()]);
            });

    private static readonly Gen<PoolRequest> Pools = Gen.Select(Gen.Int[0, 2], Gen.Int[1, 12], Gen.Enum<PlacementConstraint>(), Gen.Int[0, 5])
        .Select((what, count, constraint, mig) => new PoolRequest($"p{what}{count}{constraint}", what == 0 ? "h100" : null, what == 1 ? "A100" : what == 2 ? "H100" : null,
            count, constraint, NeedsMig: mig == 0));

    private static readonly Gen<PlacementRequest> Requests = Pools.Array[1, 3]
        .Select(pools => new PlacementRequest("t", [.. pools.DistinctBy(p => p.Name)]));

    private static FleetIndex Index(Fleet fleet)
    {
        var index = new FleetIndex(fleet.Nodes);
        index.Allocate(fleet.Taken);
        return index;
    }

    private static bool Matches(PlacementNode node, PoolRequest pool) =>
        (pool.Sku is null || node.Sku == pool.Sku) && (pool.GpuModel is null || node.GpuModel == pool.GpuModel) && (!pool.NeedsMig || node.MigCapable);

    private static string? GroupOf(PlacementNode node, PlacementConstraint constraint) => constraint switch
    {
        PlacementConstraint.SameRack => node.Rack,
        PlacementConstraint.SameLeaf => node.Leaf,
        PlacementConstraint.SameInfinibandLeafGroup => node.InfinibandLeaf,
        _ => null,
    };

    [Fact]
    public void Decisions_AreAllOrNothing_FromFreeMatchingNodes_WithinTheirConstraints()
    {
        Gen.Select(Fleets, Requests).Sample((fleet, request) =>
        {
            var index = Index(fleet);
            var decision = Placer.Decide(index, request);
            if (!decision.Placed)
            {
                Assert.False(string.IsNullOrWhiteSpace(decision.Reason));
                return;
            }
            var byName = fleet.Nodes.ToDictionary(n => n.Name);
            var all = decision.Nodes!.Values.SelectMany(n => n).ToList();
            Assert.Equal(all.Count, all.Distinct().Count());
            Assert.Equal(request.Pools.Count, decision.Nodes.Count);
            foreach (var pool in request.Pools)
            {
                var chosen = decision.Nodes[pool.Name].Select(n => byName[n]).ToList();
                Assert.Equal(pool.Count, chosen.Count);
                Assert.All(chosen, n => Assert.True(Matches(n, pool) && !fleet.Taken.Contains(n.Name), $"{n.Name} is taken or does not match {pool}"));
                if (pool.Constraint is PlacementConstraint.SameRack or PlacementConstraint.SameLeaf or PlacementConstraint.SameInfinibandLeafGroup)
                {
                    Assert.Single(chosen.Select(n => GroupOf(n, pool.Constraint)).Distinct());
                    Assert.NotNull(GroupOf(chosen[0], pool.Constraint));
                }
            }
        });
    }

    [Fact]
    public void ASinglePool_IsRefused_OnlyWhenNoPlacementExists()
    {
        Gen.Select(Fleets, Pools).Sample((fleet, pool) =>
        {
            var decision = Placer.Decide(Index(fleet), new PlacementRequest("t", [pool]));
            var free = fleet.Nodes.Where(n => !fleet.Taken.Contains(n.Name) && Matches(n, pool)).ToList();
            var possible = pool.Constraint is PlacementConstraint.Packed or PlacementConstraint.Spread
                ? free.Count >= pool.Count
                : free.Where(n => GroupOf(n, pool.Constraint) is not null).GroupBy(n => GroupOf(n, pool.Constraint)).Any(g => g.Count() >= pool.Count);
            Assert.Equal(possible, decision.Placed);
        });
    }

    [Fact]
    public void PackedPools_UseOneHopGroup_WhenOneHoldsThem_AndSpreadPools_UseEveryRackTheyCan()
    {
        Gen.Select(Fleets, Gen.Int[1, 12]).Sample((fleet, count) =>
        {
            var index = Index(fleet);
            var free = fleet.Nodes.Where(n => !fleet.Taken.Contains(n.Name) && n.Sku == "h100").ToList();
            var packed = Placer.Decide(index, new PlacementRequest("t", [new PoolRequest("p", "h100", null, count, PlacementConstraint.Packed)]));
            var hop = (PlacementNode n) => n.InfinibandLeaf ?? n.Leaf;
            if (free.GroupBy(hop).Any(g => g.Count() >= count))
            {
                Assert.Single(packed.Nodes!["p"].Select(n => hop(fleet.Nodes.First(x => x.Name == n))).Distinct());
            }
            var spread = Placer.Decide(index, new PlacementRequest("t", [new PoolRequest("p", "h100", null, count, PlacementConstraint.Spread)]));
            if (spread.Placed)
            {
                var racks = free.Select(n => n.Rack).Distinct().Count();
                Assert.Equal(Math.Min(count, racks), spread.Nodes!["p"].Select(n => fleet.Nodes.First(x => x.Name == n).Rack).Distinct().Count());
            }
        });
    }

    [Fact]
    public void EqualInputs_GiveEqualDecisions()
    {
        Gen.Select(Fleets, Requests).Sample((fleet, request) =>
        {
            var first = Placer.Decide(Index(fleet), request);
            var second = Placer.Decide(Index(new Fleet([.. fleet.Nodes.Reverse()], fleet.Taken)), request);
            Assert.Equal(first.Reason, second.Reason);
            Assert.Equal(first.Nodes?.SelectMany(p => p.Value.Select(n => $"{p.Key}:{n}")), second.Nodes?.SelectMany(p => p.Value.Select(n => $"{p.Key}:{n}")));
        });
    }

    [Fact]
    public void DecisionsAllocatedOneAfterAnother_NeverShareANode_AndReleaseGivesNodesBack()
    {
        Gen.Select(Fleets, Requests.Array[1, 12]).Sample((fleet, requests) =>
        {
            var index = Index(fleet);
            var holders = new Dictionary<string, int>();
            for (var i = 0; i < requests.Length; i++)
            {
                var decision = Placer.Decide(index, requests[i]);
                if (!decision.Placed)
                {
                    continue;
                }
                var nodes = decision.Nodes!.Values.SelectMany(n => n).ToList();
                foreach (var node in nodes)
                {
                    Assert.True(holders.TryAdd(node, i), $"{node} went to request {holders.GetValueOrDefault(node)} and {i}");
                    Assert.DoesNotContain(node, fleet.Taken);
                }
                index.Allocate(nodes);
            }
            Assert.Equal(fleet.Nodes.Count - fleet.Taken.Count - holders.Count, index.FreeCount);
            index.Release(holders.Keys);
            Assert.Equal(fleet.Nodes.Count - fleet.Taken.Count, index.FreeCount);
            Assert.Throws<InvalidOperationException>(() => index.Release([fleet.Nodes.First(n => !fleet.Taken.Contains(n.Name)).Name]));
        });
    }

    [Fact]
    public void Quotas_AreNeverExceeded_ByAPass()
    {
        Gen.Select(Fleets, Requests.Array[1, 8], Gen.Int[0, 64], Gen.Int[0, 64]).Sample((fleet, requests, quotaA, quotaB) =>
        {
            var index = Index(fleet);
            var waiting = requests.Select((r, i) => new QueuedRequest(Guid.CreateVersion7(), DateTimeOffset.UnixEpoch.AddSeconds(i), r with { Tenant = i % 2 == 0 ? "a" : "b" })).ToList();
            var held = new Dictionary<string, Dictionary<string, int>>();
            var totals = fleet.Nodes.GroupBy(n => n.GpuModel).ToDictionary(g => g.Key, g => g.Sum(n => n.Gpus));
            var results = FairShare.Pass(index, waiting, held, totals, (tenant, model) => model == "H100" ? tenant == "a" ? quotaA : quotaB : null);
            var byName = fleet.Nodes.ToDictionary(n => n.Name);
            foreach (var tenant in new[] { ("a", quotaA), ("b", quotaB) })
            {
                var gpus = results.Where(r => r.Decision.Placed && waiting.First(w => w.Id == r.Id).Request.Tenant == tenant.Item1)
                    .SelectMany(r => r.Decision.Nodes!.Values.SelectMany(n => n)).Select(n => byName[n]).Where(n => n.GpuModel == "H100").Sum(n => n.Gpus);
                Assert.True(gpus <= tenant.Item2, $"tenant {tenant.Item1} holds {gpus} H100 GPUs over its quota {tenant.Item2}");
                Assert.Equal(gpus, held.GetValueOrDefault(tenant.Item1)?.GetValueOrDefault("H100") ?? 0);
            }
            Assert.Equal(waiting.Count, results.Count);
        });
    }
}
