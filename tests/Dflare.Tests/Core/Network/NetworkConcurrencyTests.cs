using System.Net;
using Dflare.Core.Network;
using Dflare.Persistence.Store;
using Dflare.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Dflare.Tests.Core.Network;

/// <summary>
/// 200 subnets created at once by 20 tenants (and 40 VPCs before them) on each store: the store then holds no VLAN id
/// twice on a leaf, no VNI twice (L2 and L3 share the space), no CIDR twice, no PKey twice; values given back are the
/// next ones handed out.
/// </summary>
public sealed class NetworkConcurrencyTests
{
    private const int Tenants = 20;
    private const int SubnetsPerTenant = 10;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public Task ParallelCreations_NeverShareAValue_OnSqlite() => RunAsync(StoreTarget.Sqlite());

    [Fact]
    public async Task ParallelCreations_NeverShareAValue_OnPostgres()
    {
        await RunAsync(await StoreTarget.PostgresAsync());
    }

    private static async Task RunAsync(StoreTarget store)
    {
        await using var world = await NetworkWorld.StartAsync(store: store);
        for (var t = 0; t < Tenants; t++)
        {
            await world.TenantAsync($"t{t}");
        }
        await Task.WhenAll(Enumerable.Range(0, Tenants).SelectMany(t => new[]
        {
            world.VpcAsync($"t{t}", "a", """, "infiniband":"ib" """), world.VpcAsync($"t{t}", "b", """, "infiniband":"ib" """),
        }));
        var creations = Enumerable.Range(0, Tenants).SelectMany(t => Enumerable.Range(0, SubnetsPerTenant)
            .Select(s => world.SubnetAsync($"t{t}", $"s{s}", s % 2 == 0 ? "a" : "b", s % 3 == 0 ? """, "ipv6":true """ : ""))).ToList();
        await Task.WhenAll(creations);

        await using (var db = StoreContexts.Create(store.Options))
        {
            await AssertUniqueAsync(db, Tenants * SubnetsPerTenant);
        }

        // Give back one subnet per tenant and a VPC's worth of subnets of t0; the values come back lowest first.
        var before = await SubnetValuesAsync(store, "t1", "s1");
        Assert.Equal(HttpStatusCode.NoContent, (await world.Admin.DeleteAsync("/api/v1/tenants/t1/subnets/s1", Ct)).StatusCode);
        await world.SubnetAsync("t5", "again", "b");
        var after = await SubnetValuesAsync(store, "t5", "again");
        Assert.Equal(before, after);
        await using (var db = StoreContexts.Create(store.Options))
        {
            await AssertUniqueAsync(db, Tenants * SubnetsPerTenant);
        }
    }

    private static async Task<(int L2Vni, string Cidr, string Vlans)> SubnetValuesAsync(StoreTarget store, string tenant, string subnet)
    {
        await using var db = StoreContexts.Create(store.Options);
        var row = await db.Subnets.AsNoTracking().FirstAsync(s => s.Name == subnet && db.Tenants.Any(t => t.Id == s.TenantId && t.Name == tenant), Ct);
        return (row.L2Vni, row.Cidr, row.Vlans);
    }

    private static async Task AssertUniqueAsync(DflareDbContext db, int subnets)
    {
        var rows = await db.Subnets.AsNoTracking().ToListAsync(Ct);
        Assert.Equal(subnets, rows.Count);
        var vpcs = await db.Vpcs.AsNoTracking().ToListAsync(Ct);
        Assert.Equal(rows.Count, rows.Select(r => r.Cidr).Distinct().Count());
        Assert.Equal(rows.Count(r => r.Ipv6Cidr != null), rows.Where(r => r.Ipv6Cidr != null).Select(r => r.Ipv6Cidr).Distinct().Count());
        var vnis = rows.Select(r => r.L2Vni).Concat(vpcs.Select(v => v.L3Vni)).ToList();
        Assert.Equal(vnis.Count, vnis.Distinct().Count());
        Assert.Equal(vpcs.Count, vpcs.Select(v => v.VrfId).Distinct().Count());
        foreach (var leaf in new[] { "leaf1", "leaf2" })
        {
            var vlans = rows.Select(r => SubnetKind.VlansOf(r)[leaf]).ToList();
            Assert.Equal(vlans.Count, vlans.Distinct().Count());
        }
        var pkeys = await db.Partitions.AsNoTracking().Select(p => p.PKey).ToListAsync(Ct);
        Assert.Equal(Tenants, pkeys.Count);
        Assert.Equal(Tenants, pkeys.Distinct().Count());
        // The store's own view: no value held twice in any pool scope.
        var duplicates = await db.NetworkAllocations.AsNoTracking().GroupBy(a => new { a.PoolId, a.Scope, a.Value }).Where(g => g.Count() > 1).CountAsync(Ct);
        Assert.Equal(0, duplicates);
        // Every value the rows show is recorded as allocated: nothing was handed out around the pools.
        // Per subnet: an L2 VNI, a VLAN on each of two leaves, a v4 prefix (and some a v6 one); per VPC a VRF id and an L3 VNI.
        Assert.Equal(rows.Count * 4 + rows.Count(r => r.Ipv6Cidr != null) + vpcs.Count * 2 + Tenants,
            await db.NetworkAllocations.CountAsync(Ct));
    }
}
