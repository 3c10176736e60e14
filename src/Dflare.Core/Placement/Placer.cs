using System.Globalization;
using static Dflare.Core.Placement.FleetIndex;

namespace Dflare.Core.Placement;

/// <summary>
/// Chooses nodes for a gang request against a <see cref="FleetIndex"/>: every pool is placed or none is, each pool
/// honours its constraint, and groups are chosen best-fit (the smallest group that holds the pool, so large groups
/// stay whole for large requests). Pure and deterministic: the index is not changed; the caller allocates.
/// </summary>
public static class Placer
{
    public static PlacementDecision Decide(FleetIndex fleet, PlacementRequest request)
    {
        var taken = new HashSet<int>();
        var chosen = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var pool in request.Pools)
        {
            var skus = MatchingSkus(fleet, pool);
            if (skus.Length == 0)
            {
                return PlacementDecision.Refused($"pool '{pool.Name}' asks for {What(pool)}, which no node in the fleet has");
            }
            var (nodes, reason) = pool.Constraint switch
            {
                PlacementConstraint.SameRack => InOneGroup(fleet, pool, skus, taken, GroupKind.Rack, "rack"),
                PlacementConstraint.SameLeaf => InOneGroup(fleet, pool, skus, taken, GroupKind.Leaf, "Ethernet leaf"),
                PlacementConstraint.SameInfinibandLeafGroup => InOneGroup(fleet, pool, skus, taken, GroupKind.InfinibandLeaf, "InfiniBand leaf group"),
                PlacementConstraint.Spread => Spread(fleet, pool, skus, taken),
                _ => Packed(fleet, pool, skus, taken),
            };
            if (nodes is null)
            {
                return PlacementDecision.Refused(reason!);
            }
            taken.UnionWith(nodes);
            chosen[pool.Name] = [.. nodes.Select(n => fleet.Node(n).Name)];
        }
        return new PlacementDecision(chosen, null);
    }

    private static int[] MatchingSkus(FleetIndex fleet, PoolRequest pool)
    {
        var matching = new List<int>();
        for (var s = 0; s < fleet.Skus.Count; s++)
        {
            var sample = fleet.SkuSample(s);
            if ((pool.Sku is null || pool.Sku == sample.Sku) && (pool.GpuModel is null || pool.GpuModel == sample.GpuModel) && (!pool.NeedsMig || sample.MigCapable))
            {
                matching.Add(s);
            }
        }
        return [.. matching];
    }

    private static string What(PoolRequest pool) =>
        (pool.Sku is not null ? $"SKU {pool.Sku}" : pool.GpuModel is not null ? $"GPU model {pool.GpuModel}" : "any node") + (pool.NeedsMig ? " with MIG" : "");

    private static int Available(Group group, int[] skus, IReadOnlyDictionary<string, int> takenHere)
    {
        var free = 0;
        foreach (var s in skus)
        {
            free += group.Free[s];
        }
        return free - takenHere.GetValueOrDefault(group.Name);
    }

    /// <summary>How many nodes of the matching SKUs earlier pools of this gang took in each group.</summary>
    private static Dictionary<string, int> TakenPerGroup(FleetIndex fleet, GroupKind kind, int[] skus, HashSet<int> taken)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var n in taken)
        {
            if (skus.Contains(fleet.SkuOf(n)) && fleet.GroupOf(kind, n) is var g and >= 0)
            {
                var name = fleet.Groups(kind)[g].Name;
                counts[name] = counts.GetValueOrDefault(name) + 1;
            }
        }
        return counts;
    }

    private static IEnumerable<int> FreeMembers(FleetIndex fleet, Group group, int[] skus, HashSet<int> taken) =>
        group.Members.Where(n => fleet.Free(n) && !taken.Contains(n) && skus.Contains(fleet.SkuOf(n)));

    private static (List<int>? Nodes, string? Reason) InOneGroup(FleetIndex fleet, PoolRequest pool, int[] skus, HashSet<int> taken, GroupKind kind, string what)
    {
        var takenHere = TakenPerGroup(fleet, kind, skus, taken);
        Group? best = null;
        int bestFree = int.MaxValue, largest = 0;
        foreach (var group in fleet.Groups(kind))
        {
            var free = Available(group, skus, takenHere);
            largest = Math.Max(largest, free);
            if (free >= pool.Count && free < bestFree)
            {
                (best, bestFree) = (group, free);
            }
        }
        if (best is null)
        {
            return (null, string.Create(CultureInfo.InvariantCulture,
                $"pool '{pool.Name}' needs {pool.Count} nodes of {What(pool)} on one {what}; the largest free {what} has {largest}"));
        }
        return ([.. FreeMembers(fleet, best, skus, taken).Take(pool.Count)], null);
    }

    private static (List<int>? Nodes, string? Reason) Packed(FleetIndex fleet, PoolRequest pool, int[] skus, HashSet<int> taken)
    {
        var total = skus.Sum(fleet.FreeOfSku) - taken.Count(n => skus.Contains(fleet.SkuOf(n)));
        if (total < pool.Count)
        {
            return (null, string.Create(CultureInfo.InvariantCulture, $"pool '{pool.Name}' needs {pool.Count} nodes of {What(pool)}; {total} are free"));
        }
        var (one, _) = InOneGroup(fleet, pool, skus, taken, GroupKind.HopGroup, "group");
        if (one is not null)
        {
            return (one, null);
        }
        // Fewest hop groups: the fullest first, ties by name.
        var takenHere = TakenPerGroup(fleet, GroupKind.HopGroup, skus, taken);
        var nodes = new List<int>(pool.Count);
        foreach (var group in fleet.Groups(GroupKind.HopGroup).Select(g => (Group: g, Free: Available(g, skus, takenHere)))
                     .Where(g => g.Free > 0).OrderByDescending(g => g.Free).ThenBy(g => g.Group.Name, StringComparer.Ordinal))
        {
            nodes.AddRange(FreeMembers(fleet, group.Group, skus, taken).Take(pool.Count - nodes.Count));
            if (nodes.Count == pool.Count)
            {
                return (nodes, null);
            }
        }
        // Nodes outside every hop group (no rack key) cannot exist: every node has a rack.
        throw new InvalidOperationException("Free counts disagree with the nodes found.");
    }

    private static (List<int>? Nodes, string? Reason) Spread(FleetIndex fleet, PoolRequest pool, int[] skus, HashSet<int> taken)
    {
        var queues = fleet.Groups(GroupKind.Rack).Select(g => new Queue<int>(FreeMembers(fleet, g, skus, taken))).Where(q => q.Count > 0).ToList();
        var total = queues.Sum(q => q.Count);
        if (total < pool.Count)
        {
            return (null, string.Create(CultureInfo.InvariantCulture, $"pool '{pool.Name}' needs {pool.Count} nodes of {What(pool)}; {total} are free"));
        }
        var nodes = new List<int>(pool.Count);
        while (nodes.Count < pool.Count)
        {
            foreach (var queue in queues.Where(q => q.Count > 0))
            {
                nodes.Add(queue.Dequeue());
                if (nodes.Count == pool.Count)
                {
                    break;
                }
            }
        }
        return (nodes, null);
    }
}
