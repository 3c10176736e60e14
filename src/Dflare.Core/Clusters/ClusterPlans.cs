using Dflare.Core.Volumes;
using Dflare.Persistence.Clusters;
using Dflare.Persistence.Store;
using Microsoft.EntityFrameworkCore;

namespace Dflare.Core.Clusters;

/// <summary>Builds a cluster's plan from the store: its nodes (those each pool keeps), their addresses on the first
/// subnet, and its mounts.</summary>
public static class ClusterPlans
{
    public sealed record Allocated(Guid NodeId, PlanNode Node);

    /// <summary>Every node allocated to the cluster, and which of them its pools keep: per pool the first
    /// <c>count</c> by name (a shrinking pool gives back its last nodes).</summary>
    public static async Task<(IReadOnlyList<Allocated> Keep, IReadOnlyList<Allocated> Leave)> NodesAsync(
        DflareDbContext db, ClusterRow cluster, ClusterSpec spec, CancellationToken cancellationToken)
    {
        var network = ManagedNetwork.Of(spec, cluster.Name);
        var firstSubnet = network.Subnets is { Count: > 0 } subnets ? subnets[0] : null;
        var vpcId = await db.Vpcs.AsNoTracking().Where(v => v.TenantId == cluster.TenantId && v.Name == network.Vpc).Select(v => (Guid?)v.Id).FirstOrDefaultAsync(cancellationToken);
        var subnetId = await db.Subnets.AsNoTracking().Where(s => s.VpcId == vpcId && s.Name == firstSubnet).Select(s => (Guid?)s.Id).FirstOrDefaultAsync(cancellationToken);
        var rows = await (from a in db.NodeAllocations.AsNoTracking()
                          join n in db.Nodes.AsNoTracking() on a.NodeId equals n.Id
                          join r in db.Racks.AsNoTracking() on n.Rack equals r.Name
                          join s in db.Skus.AsNoTracking() on n.Sku equals s.Name
                          where a.ClusterId == cluster.Id
                          orderby a.Node
                          select new
                          {
                              a.NodeId, a.Node, a.Pool, a.GpuModel, a.Gpus, s.Cpus, s.MemoryGiB, Rack = r.Name, r.EthernetLeaf, r.InfinibandLeaf,
                              Address = db.NetworkAttachments.Where(x => x.SubnetId == subnetId && x.Node == a.Node).Select(x => x.Address).FirstOrDefault(),
                          }).ToListAsync(cancellationToken);
        var pools = spec.Pools!.ToDictionary(p => p.Name!, StringComparer.Ordinal);
        var keep = new List<Allocated>();
        var leave = new List<Allocated>();
        foreach (var group in rows.GroupBy(r => r.Pool))
        {
            var count = pools.TryGetValue(group.Key, out var pool) ? pool.Count!.Value : 0;
            var mig = pool?.Mig ?? "none";
            var ordered = group.OrderBy(r => r.Node, StringComparer.Ordinal).ToList();
            for (var i = 0; i < ordered.Count; i++)
            {
                var r = ordered[i];
                var node = new Allocated(r.NodeId, new PlanNode(r.Node, r.Pool, r.Address ?? "", r.GpuModel, r.Gpus, r.Cpus, r.MemoryGiB, r.Rack, r.EthernetLeaf, r.InfinibandLeaf, mig));
                (i < count ? keep : leave).Add(node);
            }
        }
        keep.Sort((a, b) => string.CompareOrdinal(a.Node.Name, b.Node.Name));
        return (keep, leave);
    }

    public static async Task<ClusterPlan> PlanAsync(DflareDbContext db, ClusterRow cluster, string tenant, string issuer, CancellationToken cancellationToken)
    {
        var spec = ClusterKind.SpecOf(cluster);
        var (keep, _) = await NodesAsync(db, cluster, spec, cancellationToken);
        return new ClusterPlan(cluster.Id, tenant, cluster.Project, cluster.Name, cluster.Type, spec, [.. keep.Select(k => k.Node)],
            await MountsAsync(db, cluster, tenant, cancellationToken), issuer);
    }

    /// <summary>What each node mounts: a Lustre client mount (high-performance tier), an NFS mount (platform tier), or a
    /// bind mount of the directory the POSIX driver made.</summary>
    public static async Task<IReadOnlyList<MountPlan>> MountsAsync(DflareDbContext db, ClusterRow cluster, string tenant, CancellationToken cancellationToken)
    {
        var mounts = await (from m in db.ClusterMounts.AsNoTracking()
                            join v in db.Volumes.AsNoTracking() on m.VolumeId equals v.Id
                            join b in db.StorageBackends.AsNoTracking() on v.Backend equals b.Name
                            where m.ClusterId == cluster.Id
                            orderby m.MountPath
                            select new { m.MountPath, m.ReadOnly, Volume = v, Backend = b }).ToListAsync(cancellationToken);
        return [.. mounts.Select(m =>
        {
            var spec = VolumeKind.SpecOf(m.Volume, tenant);
            var client = new[] { new StorageClient("*", "") };
            var readOnly = m.ReadOnly || m.Volume.AccessMode == "ReadOnlyMany";
            var entry = m.Backend.Driver == "Posix"
                ? new MountPlanEntry("*", m.Volume.Location ?? "", m.MountPath, "none", readOnly ? "bind,ro" : "bind")
                : m.Backend.Tier == "HighPerformance"
                    ? LustreHandOff.MountPlan($"{m.Backend.Name}-mgs@o2ib", m.Backend.Name, spec, m.MountPath, readOnly, client)[0]
                    : NfsHandOff.MountPlan($"{m.Backend.Name}-nfs", m.Backend.Path, spec, m.MountPath, readOnly, rdma: false, client)[0];
            return new MountPlan(m.Volume.Name, entry.Source, entry.Target, entry.FsType, entry.Options, readOnly);
        })];
    }
}
