using Dflare.Core.Inventory;
using Dflare.Core.Placement;
using Dflare.Persistence.Clusters;
using Dflare.Persistence.Store;
using Microsoft.EntityFrameworkCore;

namespace Dflare.Core.Clusters;

/// <summary>
/// One placement pass over the store: every cluster short of nodes is a waiting request, served in fair-share order
/// (<see cref="FairShare"/>) from the Ready nodes no cluster holds. Passes are serialized by a lock on one row (a row
/// lock on PostgreSQL, the write lock on SQLite); the unique index on <c>node_allocations.node_id</c> is the backstop.
/// </summary>
public static class ClusterPlacement
{
    public sealed record Outcome(IReadOnlyList<Guid> Placed, IReadOnlyDictionary<Guid, string> Waiting, IReadOnlyDictionary<Guid, string> OverQuota);

    public static async Task<Outcome> PassAsync(DflareDbContext db, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await db.PlacementLock.Where(l => l.Id == 1).ExecuteUpdateAsync(s => s.SetProperty(l => l.Passes, l => l.Passes + 1), cancellationToken);
        var clusters = await db.Clusters.AsNoTracking()
            .Where(c => c.Phase != ClusterPhases.Deleting && c.Phase != ClusterPhases.Failed && c.Phase != ClusterPhases.Operational)
            .ToListAsync(cancellationToken);
        var allocations = await db.NodeAllocations.AsNoTracking().ToListAsync(cancellationToken);
        var tenants = await db.Tenants.AsNoTracking().ToDictionaryAsync(t => t.Id, t => t.Name, cancellationToken);
        var waiting = new List<QueuedRequest>();
        foreach (var cluster in clusters)
        {
            var spec = ClusterKind.SpecOf(cluster);
            var pools = spec.Pools!.Select(p => new PoolRequest(p.Name!, p.Sku, p.GpuModel,
                    p.Count!.Value - allocations.Count(a => a.ClusterId == cluster.Id && a.Pool == p.Name),
                    ClusterSpecRules.ConstraintOf(p.Placement), p.Mig is not null and not "none"))
                .Where(p => p.Count > 0).ToList();
            if (pools.Count > 0)
            {
                waiting.Add(new QueuedRequest(cluster.Id, cluster.RequestedAt, new PlacementRequest(tenants[cluster.TenantId], pools)));
            }
        }
        if (waiting.Count == 0)
        {
            return new Outcome([], new Dictionary<Guid, string>(), new Dictionary<Guid, string>());
        }
        var fleet = await FleetAsync(db, cancellationToken);
        var free = fleet.Where(n => n.Free).Select(n => n.Node).ToList();
        var index = new FleetIndex(free);
        var totals = fleet.GroupBy(n => n.Node.GpuModel).ToDictionary(g => g.Key, g => g.Sum(n => n.Node.Gpus), StringComparer.Ordinal);
        var held = allocations.GroupBy(a => tenants[a.TenantId]).ToDictionary(g => g.Key,
            g => g.GroupBy(a => a.GpuModel).ToDictionary(m => m.Key, m => m.Sum(a => a.Gpus), StringComparer.Ordinal), StringComparer.Ordinal);
        var quotas = (await db.TenantQuotas.AsNoTracking().ToListAsync(cancellationToken))
            .ToDictionary(q => (tenants[q.TenantId], q.GpuModel), q => q.MaxGpus);
        var results = FairShare.Pass(index, waiting, held, totals, (tenant, model) => quotas.TryGetValue((tenant, model), out var max) ? max : null);
        var byName = fleet.ToDictionary(n => n.Node.Name, n => n, StringComparer.Ordinal);
        var placed = new List<Guid>();
        var still = new Dictionary<Guid, string>();
        var over = new Dictionary<Guid, string>();
        foreach (var result in results)
        {
            var cluster = clusters.First(c => c.Id == result.Id);
            if (!result.Decision.Placed)
            {
                (result.OverQuota ? over : still)[cluster.Id] = result.Decision.Reason!;
                continue;
            }
            foreach (var (pool, nodes) in result.Decision.Nodes!)
            {
                foreach (var name in nodes)
                {
                    var node = byName[name];
                    db.NodeAllocations.Add(new NodeAllocationRow
                    {
                        Id = Guid.CreateVersion7(now), NodeId = node.Id, Node = name, ClusterId = cluster.Id, TenantId = cluster.TenantId, Pool = pool,
                        GpuModel = node.Node.GpuModel, Gpus = node.Node.Gpus, CreatedAt = now,
                    });
                    await Metering.UsageEmitter.NodeAsync(db, Metering.UsageEventTypes.NodeAllocated, $"{cluster.Id:N}-{name}-allocated", name,
                        tenants[cluster.TenantId], cluster.Project, cluster.Name, node.Node.GpuModel, node.Node.Gpus, node.Cpus, node.MemoryGiB, now, cancellationToken);
                }
            }
            placed.Add(cluster.Id);
        }
        var reasons = still.Select(s => (s.Key, $"waiting for capacity: {s.Value}")).Concat(over.Select(o => (o.Key, $"over quota: {o.Value}")));
        foreach (var (id, reason) in reasons)
        {
            await db.Clusters.Where(c => c.Id == id).ExecuteUpdateAsync(s => s.SetProperty(c => c.Reason, reason.Length > 1024 ? reason[..1024] : reason), cancellationToken);
        }
        foreach (var id in placed)
        {
            await db.Clusters.Where(c => c.Id == id).ExecuteUpdateAsync(s => s.SetProperty(c => c.Reason, (string?)null), cancellationToken);
        }
        await db.SaveChangesAsync(cancellationToken);
        return new Outcome(placed, still, over);
    }

    private sealed record FleetNode(Guid Id, PlacementNode Node, bool Free, int Cpus, int MemoryGiB);

    /// <summary>Every node that can carry tenant work (Ready or already allocated), with its topology.</summary>
    private static async Task<List<FleetNode>> FleetAsync(DflareDbContext db, CancellationToken cancellationToken)
    {
        var ready = nameof(NodeState.Ready);
        var rows = await (from n in db.Nodes.AsNoTracking()
                          join r in db.Racks.AsNoTracking() on n.Rack equals r.Name
                          join s in db.Skus.AsNoTracking() on n.Sku equals s.Name
                          where n.State != nameof(NodeState.Decommissioned)
                          select new
                          {
                              n.Id, n.Name, n.State, Rack = r.Name, r.EthernetLeaf, r.InfinibandLeaf, Sku = s.Name, s.GpuModel, s.GpuCount, s.MigCapable, s.Cpus, s.MemoryGiB,
                              Allocated = db.NodeAllocations.Any(a => a.NodeId == n.Id),
                          }).ToListAsync(cancellationToken);
        return [.. rows.Select(r => new FleetNode(r.Id, new PlacementNode(r.Name, r.Rack, r.EthernetLeaf, r.InfinibandLeaf, r.Sku, r.GpuModel, r.GpuCount, r.MigCapable),
            r.State == ready && !r.Allocated, r.Cpus, r.MemoryGiB))];
    }
}
