using System.Net;
using Dflare.Persistence.Clusters;
using Dflare.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Dflare.Tests.Core.Clusters;

/// <summary>Many clusters asked for at once, more than the fleet holds: no node ever goes to two clusters (the store's
/// unique index says so too), the ones that fit are served, the rest wait for capacity.</summary>
public abstract class ClusterConcurrencyTests
{
    private static readonly string[] Names = ["a", "b"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected abstract Task<StoreTarget> CreateStoreAsync();

    [Fact]
    public async Task ConcurrentClusters_NeverShareANode()
    {
        await using var world = await ClusterWorld.StartAsync(await CreateStoreAsync());
        var tenants = new[] { "t1", "t2", "t3" };
        foreach (var tenant in tenants)
        {
            await world.TenantAsync(tenant);
        }
        // 3 tenants × 2 clusters × 3 nodes = 18 nodes asked of 16.
        var creates = tenants.SelectMany(t => Names.Select(c => world.PostAsync($"/api/v1/tenants/{t}/clusters", $$$"""
            {"metadata":{"name":"{{{c}}}"},"spec":{"project":"research","type":"slurm","pools":[{"name":"gpu","gpuModel":"H100-SXM5-80GB","count":3}]}}
            """, "application/json"))).ToList();
        Assert.All(await Task.WhenAll(creates), r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));

        var phases = await Poll.UntilAsync(async ct =>
        {
            var all = new List<(string Phase, string? Reason)>();
            foreach (var tenant in tenants)
            {
                var list = await world.GetAsync($"/api/v1/tenants/{tenant}/clusters");
                all.AddRange(list["items"]!.AsArray().Select(c => ((string)c!["status"]!["phase"]!, (string?)c["status"]!["reason"])));
            }
            return all.Count(p => p.Phase == "Operational") == 5 && all.Count(p => p.Reason?.StartsWith("waiting for capacity", StringComparison.Ordinal) == true) == 1 ? all : null;
        }, ClusterWorld.Deadline, "five clusters Operational and one waiting for capacity");
        Assert.Equal(6, phases.Count);

        var allocations = await world.StoreAsync(db => db.NodeAllocations.AsNoTracking().ToListAsync(Ct));
        Assert.Equal(15, allocations.Count);
        Assert.Equal(15, allocations.Select(a => a.NodeId).Distinct().Count());
        Assert.Equal(5, allocations.Select(a => a.ClusterId).Distinct().Count());
        Assert.All(allocations.GroupBy(a => a.ClusterId), g => Assert.Equal(3, g.Count()));

        // The store itself refuses a second allocation of a node.
        var taken = allocations[0];
        var other = allocations.First(a => a.ClusterId != taken.ClusterId);
        await Assert.ThrowsAnyAsync<DbUpdateException>(() => world.StoreAsync(async db =>
        {
            db.NodeAllocations.Add(new NodeAllocationRow
            {
                Id = Guid.CreateVersion7(), NodeId = taken.NodeId, Node = taken.Node, ClusterId = other.ClusterId, TenantId = other.TenantId, Pool = "gpu",
                GpuModel = taken.GpuModel, Gpus = 8, CreatedAt = DateTimeOffset.UtcNow,
            });
            return await db.SaveChangesAsync(Ct);
        }));
    }
}

public sealed class SqliteClusterConcurrencyTests : ClusterConcurrencyTests
{
    protected override Task<StoreTarget> CreateStoreAsync() => Task.FromResult(StoreTarget.Sqlite());
}

public sealed class PostgresClusterConcurrencyTests : ClusterConcurrencyTests
{
    protected override Task<StoreTarget> CreateStoreAsync() => StoreTarget.PostgresAsync();
}
