using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Dflare.Core.Clusters;
using Dflare.Persistence.Clusters;
using Dflare.Persistence.Inventory;
using Dflare.Persistence.Store;
using Dflare.Persistence.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Dflare.Benchmarks.Placement;

/// <summary>
/// <c>placement store [nodes=10000] [decisions=200] [postgres]</c>: the placement pass as the control plane runs it —
/// in a transaction, under the placement lock, reading the fleet, the waiting clusters, allocations and quotas from
/// the store and writing the allocations and their usage events — on a store seeded with a fleet of Ready nodes. Each
/// pass decides <c>batch</c> new clusters (default 1; 8 to 1,024 GPUs each); clusters are released oldest first to keep a
/// third of the fleet free.
/// </summary>
public static class StorePlacementBenchmark
{
    private static readonly int[] Sizes = [1, 2, 4, 8, 16, 32, 64, 128];

    public static async Task<int> RunAsync(string[] args)
    {
        var nodes = Argument(args, "nodes", 10_000);
        var decisions = Argument(args, "decisions", 200);
        var batch = Argument(args, "batch", 1);
        var postgres = args.Contains("postgres") ? Environment.GetEnvironmentVariable("DFLARE_BENCH_POSTGRES") : null;
        var directory = Directory.CreateTempSubdirectory("dflare-bench-placement-");
        var store = postgres is null
            ? new StoreOptions { Provider = StoreProvider.Sqlite, DataDirectory = directory.FullName }
            : new StoreOptions { Provider = StoreProvider.Postgres, ConnectionString = postgres };
        await new StoreMigrator(Options.Create(store), NullLogger<StoreMigrator>.Instance).MigrateAsync(CancellationToken.None);
        var now = DateTimeOffset.UtcNow;
        var tenants = await SeedAsync(store, nodes, now);
        var random = new Random(42);
        var latencies = new List<double>(decisions);
        var held = new Queue<Guid>();
        var placed = 0;
        for (var i = 0; i < decisions + 20; i++)
        {
            await using var db = StoreContexts.Create(store);
            var batchIds = new List<Guid>();
            for (var b = 0; b < batch; b++)
            {
                var count = Sizes[random.Next(Sizes.Length)];
                var cluster = new ClusterRow
                {
                    Id = Guid.CreateVersion7(), TenantId = tenants[random.Next(tenants.Count)], Name = $"c{i}-{b}", Project = "p", Type = ClusterTypes.Slurm, Runtime = "Simulated",
                    Phase = ClusterPhases.Requested, RequestedAt = now, CreatedAt = now, UpdatedAt = now, ResourceVersion = 1,
                    Spec = JsonSerializer.Serialize(new ClusterSpec { Project = "p", Type = ClusterTypes.Slurm, Pools = [new NodePoolSpec("gpu", null, "H100-SXM5-80GB", count, null, null)] }, ClusterJson.Options),
                };
                db.Clusters.Add(cluster);
                batchIds.Add(cluster.Id);
            }
            await db.SaveChangesAsync();
            var started = Stopwatch.GetTimestamp();
            await using (var transaction = await db.Database.BeginTransactionAsync())
            {
                var outcome = await ClusterPlacement.PassAsync(db, now, CancellationToken.None);
                await transaction.CommitAsync();
                foreach (var id in outcome.Placed)
                {
                    placed += i >= 20 ? 1 : 0;
                    held.Enqueue(id);
                }
            }
            if (i >= 20)
            {
                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
            // Untimed: the clusters leave the queue either way, and old clusters give their nodes back.
            await db.Clusters.Where(c => batchIds.Contains(c.Id)).ExecuteUpdateAsync(s => s.SetProperty(c => c.Phase, ClusterPhases.Operational));
            while (await db.NodeAllocations.CountAsync() > nodes * 2 / 3 && held.Count > 0)
            {
                var old = held.Dequeue();
                await db.NodeAllocations.Where(a => a.ClusterId == old).ExecuteDeleteAsync();
            }
        }
        latencies.Sort();
        double Percentile(double p) => latencies[Math.Min(latencies.Count - 1, (int)(p * latencies.Count))];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"placement pass on {(postgres is null ? "SQLite" : "PostgreSQL")}: {nodes} nodes, {decisions} passes of {batch} ({placed} placed): {1000 * batch / latencies.Average():F0} decisions/s; pass p50 {Percentile(0.5):F1} ms, p99 {Percentile(0.99):F1} ms, max {latencies[^1]:F1} ms"));
        directory.Delete(recursive: true);
        return 0;
    }

    private static async Task<List<Guid>> SeedAsync(StoreOptions store, int nodes, DateTimeOffset now)
    {
        await using var db = StoreContexts.Create(store);
        db.Sites.Add(new SiteRow { Id = Guid.CreateVersion7(), Name = "s", CreatedAt = now, UpdatedAt = now, ResourceVersion = 1 });
        db.Skus.Add(new SkuRow { Id = Guid.CreateVersion7(), Name = "hgx-h100-8", GpuModel = "H100-SXM5-80GB", GpuCount = 8, MigCapable = true, Cpus = 112, MemoryGiB = 2048, Nics = 2, Hcas = 8, CreatedAt = now, UpdatedAt = now, ResourceVersion = 1 });
        for (var r = 0; r < (nodes + 31) / 32; r++)
        {
            db.Racks.Add(new RackRow { Id = Guid.CreateVersion7(), Name = $"r{r:000}", Site = "s", EthernetLeaf = $"leaf{r:000}", InfinibandLeaf = $"ib{r:000}", CreatedAt = now, UpdatedAt = now, ResourceVersion = 1 });
        }
        await db.SaveChangesAsync();
        for (var i = 0; i < nodes; i++)
        {
            db.Nodes.Add(new NodeRow
            {
                Id = Guid.CreateVersion7(), Name = $"n{i:00000}", Rack = $"r{i / 32:000}", Sku = "hgx-h100-8", BmcAddress = $"https://10.0.{i / 250}.{i % 250}", BmcUsername = "x",
                BmcPasswordSealed = "v1:x:x", State = "Ready", CreatedAt = now, UpdatedAt = now, ResourceVersion = 1,
            });
        }
        var tenants = Enumerable.Range(0, 20).Select(t => new TenantRow { Id = Guid.CreateVersion7(), Name = $"t{t}", CreatedAt = now, UpdatedAt = now, ResourceVersion = 1 }).ToList();
        db.Tenants.AddRange(tenants);
        await db.SaveChangesAsync();
        db.Projects.AddRange(tenants.Select(t => new ProjectRow { Id = Guid.CreateVersion7(), TenantId = t.Id, Name = "p", CreatedAt = now, UpdatedAt = now, ResourceVersion = 1 }));
        await db.SaveChangesAsync();
        return [.. tenants.Select(t => t.Id)];
    }

    private static int Argument(string[] args, string name, int fallback) =>
        args.Select(a => a.Split('=', 2)).Where(p => p.Length == 2 && p[0] == name).Select(p => int.Parse(p[1], CultureInfo.InvariantCulture)).DefaultIfEmpty(fallback).First();
}
