using Dflare.Core.Network;
using Dflare.Core.Resources;
using Dflare.Core.Workflows;
using Dflare.Persistence.Clusters;
using Dflare.Persistence.Store;
using Dflare.Persistence.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Dflare.Core.Clusters;

/// <summary>
/// A cluster whose spec names no network gets its own: a VPC and a subnet named <c>cluster-{name}</c>, made with the
/// cluster (the same pools, validation and allocation as a tenant's own) and deleted with it, so deleting the cluster
/// gives back its VRF, VNIs, VLANs, prefix and PKey too.
/// </summary>
public sealed class ManagedNetwork(Func<WorkflowClient> workflows, TimeProvider time)
{
    public static string NameOf(string cluster) => $"cluster-{cluster}";

    /// <summary>The VPC and subnets a cluster uses: its spec's, or its managed ones.</summary>
    public static ClusterNetworkSpec Of(ClusterSpec spec, string cluster) => spec.Network ?? new ClusterNetworkSpec(NameOf(cluster), [NameOf(cluster)]);

    /// <summary>Creates the VPC and subnet in the caller's transaction, on the only Ethernet fabric (and the only
    /// InfiniBand one, when there is one). Refusals are <see cref="ResourceConflictException"/>s.</summary>
    public async Task CreateAsync(DflareDbContext db, ClusterRow cluster, TenantRow tenant, CancellationToken cancellationToken)
    {
        var name = NameOf(cluster.Name);
        if (await db.Vpcs.AnyAsync(v => v.TenantId == tenant.Id && v.Name == name, cancellationToken)
            || await db.Subnets.AnyAsync(s => s.TenantId == tenant.Id && s.Name == name, cancellationToken))
        {
            throw new ResourceConflictException("already-exists", "The cluster's network name is taken.",
                $"The tenant already has a VPC or subnet '{name}'; name a network in spec.network, or delete that one.");
        }
        var fabrics = await db.Fabrics.AsNoTracking().OrderBy(f => f.Name).Select(f => new { f.Name, f.Type }).ToListAsync(cancellationToken);
        var ethernet = fabrics.Where(f => f.Type == FabricTypes.Ethernet).ToList();
        if (ethernet.Count != 1)
        {
            throw new ResourceConflictException("fabric-unavailable", "The cluster needs a named network.",
                ethernet.Count == 0 ? "No Ethernet fabric is registered; an operator registers one first."
                    : $"There are {ethernet.Count} Ethernet fabrics ({string.Join(", ", ethernet.Select(f => f.Name))}); name a VPC in spec.network.");
        }
        var infiniband = fabrics.Where(f => f.Type == FabricTypes.Infiniband).ToList();
        var vpc = new Vpc
        {
            ApiVersion = ApiVersions.V1, Kind = Vpc.KindName, Metadata = new ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["dflare.ai/cluster"] = cluster.Name } },
            Spec = new VpcSpec { Project = cluster.Project, Fabric = ethernet[0].Name, Infiniband = infiniband.Count == 1 ? infiniband[0].Name : null },
        };
        var vpcKind = new VpcKind(workflows, time);
        var vpcRow = vpcKind.NewRow(vpc, tenant, time.GetUtcNow());
        Stamp(vpcRow);
        await vpcKind.WritingAsync(db, vpcRow, vpc, tenant, creating: true, cancellationToken);
        db.Vpcs.Add(vpcRow);
        // The subnet's allocation reads its VPC from the store: the VPC is written first, in the same transaction.
        await db.SaveChangesAsync(cancellationToken);
        var subnet = new Subnet
        {
            ApiVersion = ApiVersions.V1, Kind = Subnet.KindName, Metadata = new ObjectMeta { Name = name, Labels = vpc.Metadata.Labels },
            Spec = new SubnetSpec { Vpc = name },
        };
        var subnetKind = new SubnetKind(workflows, time);
        var subnetRow = subnetKind.NewRow(subnet, tenant, time.GetUtcNow());
        Stamp(subnetRow);
        await subnetKind.WritingAsync(db, subnetRow, subnet, tenant, creating: true, cancellationToken);
        db.Subnets.Add(subnetRow);
    }

    private void Stamp(IVersionedRow row)
    {
        row.ResourceVersion = 1;
        row.UpdatedAt = Envelope.Timestamp(time.GetUtcNow());
    }

    /// <summary>Deletes the managed subnet and VPC (their values go back to the pools). Idempotent.</summary>
    public async Task DeleteAsync(DflareDbContext db, ClusterRow cluster, TenantRow tenant, CancellationToken cancellationToken)
    {
        var name = NameOf(cluster.Name);
        var subnet = await db.Subnets.FirstOrDefaultAsync(s => s.TenantId == tenant.Id && s.Name == name, cancellationToken);
        if (subnet is not null)
        {
            await new SubnetKind(workflows, time).RemovingAsync(db, subnet, tenant, force: false, cancellationToken);
            db.Subnets.Remove(subnet);
        }
        var vpc = await db.Vpcs.FirstOrDefaultAsync(v => v.TenantId == tenant.Id && v.Name == name, cancellationToken);
        if (vpc is not null)
        {
            await db.SaveChangesAsync(cancellationToken);
            await new VpcKind(workflows, time).RemovingAsync(db, vpc, tenant, force: false, cancellationToken);
            db.Vpcs.Remove(vpc);
        }
        await db.SaveChangesAsync(cancellationToken);
    }
}
