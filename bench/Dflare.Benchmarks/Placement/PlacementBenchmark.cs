using System.Diagnostics;
using System.Globalization;
using Dflare.Core.Placement;

namespace Dflare.Benchmarks.Placement;

/// <summary>
/// <c>placement [nodes=10000] [decisions=20000]</c>: gang placement decisions against a fleet of H100 nodes (8 GPUs each,
/// 32 to a rack under one Ethernet and one InfiniBand leaf). Requests ask for 8 to 1,024 GPUs (1 to 128 nodes), packed,
/// on one InfiniBand leaf group (up to 32 nodes) or spread; each decision that places is allocated, and the oldest
/// allocations are released whenever less than a third of the fleet is free, so decisions run against a busy,
/// fragmented fleet. Reports decisions per second and latency percentiles (one thread; the store's write is not in it).
/// </summary>
public static class PlacementBenchmark
{
    private static readonly int[] Sizes = [1, 2, 4, 8, 16, 32, 64, 128];

    public static Task<int> RunAsync(string[] args)
    {
        var nodes = Argument(args, "nodes", 10_000);
        var decisions = Argument(args, "decisions", 20_000);
        var fleet = Enumerable.Range(0, nodes).Select(i => new PlacementNode(
            $"n{i:00000}", $"r{i / 32:000}", $"leaf{i / 32:000}", $"ib{i / 32:000}", "hgx-h100-8", "H100-SXM5-80GB", 8, true)).ToList();
        var build = Stopwatch.StartNew();
        var index = new FleetIndex(fleet);
        build.Stop();
        var random = new Random(42);
        var held = new Queue<List<string>>();
        var latencies = new double[decisions];
        var placed = 0;
        // Warm-up: the JIT and the first allocations.
        for (var i = 0; i < 500; i++)
        {
            Step(index, random, held, out _);
        }
        var total = Stopwatch.StartNew();
        for (var i = 0; i < decisions; i++)
        {
            var started = Stopwatch.GetTimestamp();
            if (Step(index, random, held, out var release))
            {
                placed++;
            }
            latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            release();
        }
        total.Stop();
        Array.Sort(latencies);
        double Percentile(double p) => latencies[Math.Min(latencies.Length - 1, (int)(p * latencies.Length))];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"placement: {nodes} nodes ({nodes * 8} GPUs), index built in {build.Elapsed.TotalMilliseconds:F0} ms; {decisions} decisions ({placed} placed) in {total.Elapsed.TotalSeconds:F2} s"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {decisions / total.Elapsed.TotalSeconds:F0} decisions/s; latency p50 {Percentile(0.50):F3} ms, p99 {Percentile(0.99):F3} ms, max {latencies[^1]:F3} ms"));
        return Task.FromResult(0);
    }

    /// <summary>One decision (timed by the caller); the allocation bookkeeping it implies is handed back untimed.</summary>
    private static bool Step(FleetIndex index, Random random, Queue<List<string>> held, out Action release)
    {
        var count = Sizes[random.Next(Sizes.Length)];
        var constraint = random.Next(3) switch
        {
            0 when count <= 32 => PlacementConstraint.SameInfinibandLeafGroup,
            1 => PlacementConstraint.Spread,
            _ => PlacementConstraint.Packed,
        };
        var decision = Placer.Decide(index, new PlacementRequest($"t{random.Next(20)}", [new PoolRequest("gpu", null, "H100-SXM5-80GB", count, constraint)]));
        release = () =>
        {
            if (decision.Placed)
            {
                var nodes = decision.Nodes!["gpu"].ToList();
                index.Allocate(nodes);
                held.Enqueue(nodes);
            }
            while (index.FreeCount < index.Count / 3 && held.Count > 0)
            {
                index.Release(held.Dequeue());
            }
        };
        return decision.Placed;
    }

    private static int Argument(string[] args, string name, int fallback) =>
        args.Select(a => a.Split('=', 2)).Where(p => p.Length == 2 && p[0] == name).Select(p => int.Parse(p[1], CultureInfo.InvariantCulture)).DefaultIfEmpty(fallback).First();
}
