using System.Globalization;
using Dflare.Persistence.Network;
using Dflare.Persistence.Store;
using Microsoft.EntityFrameworkCore;

namespace Dflare.Core.Network;

/// <summary>Computes a fabric's <see cref="FabricIntent"/> from the store.</summary>
public static class NetworkIntents
{
    /// <summary>The ASN part of every tenant route target: EVPN targets only need to be equal where they must match.</summary>
    public const int RouteTargetAsn = 65000;

    public static string RouteTarget(VpcRow vpc) => string.Create(CultureInfo.InvariantCulture, $"{RouteTargetAsn}:{vpc.L3Vni}");

    public static IReadOnlyList<LeafIntent> Leaves(FabricRow fabric) => [.. (FabricKind.SpecOf(fabric).Switches ?? [])
        .Where(s => s.Role == "Leaf").OrderBy(s => s.Name, StringComparer.Ordinal)
        .Select(s => new LeafIntent(s.Name!, s.Asn ?? 0, s.Vtep ?? ""))];

    public static async Task<FabricIntent> BuildAsync(DflareDbContext db, FabricRow fabric, CancellationToken cancellationToken)
    {
        var leaves = Leaves(fabric);
        var tenants = await db.Tenants.AsNoTracking().ToDictionaryAsync(t => t.Id, t => t.Name, cancellationToken);
        if (fabric.Type == FabricTypes.Infiniband)
        {
            var partitions = await db.Partitions.AsNoTracking().Where(p => p.FabricId == fabric.Id).ToListAsync(cancellationToken);
            var ids = partitions.Select(p => p.Id).ToList();
            var members = (await db.PartitionMembers.AsNoTracking().Where(m => ids.Contains(m.PartitionId)).ToListAsync(cancellationToken)).ToLookup(m => m.PartitionId);
            return FabricIntent.Empty(fabric.Name, leaves) with
            {
                Infiniband = true,
                Partitions = [.. partitions.OrderBy(p => p.PKey).Select(p => new PartitionIntent(
                    $"t-{tenants[p.TenantId]}", p.PKey,
                    [.. members[p.Id].OrderBy(m => m.PortGuid, StringComparer.Ordinal).Select(m => new PartitionMemberIntent(m.PortGuid, m.Node, m.Membership == "Full"))]))],
            };
        }
        var vpcs = await db.Vpcs.AsNoTracking().Where(v => v.FabricId == fabric.Id).ToListAsync(cancellationToken);
        var vpcIds = vpcs.Select(v => v.Id).ToList();
        var subnets = await db.Subnets.AsNoTracking().Where(s => vpcIds.Contains(s.VpcId)).ToListAsync(cancellationToken);
        var subnetIds = subnets.Select(s => s.Id).ToList();
        var attachments = await db.NetworkAttachments.AsNoTracking().Where(a => subnetIds.Contains(a.SubnetId)).ToListAsync(cancellationToken);
        var vpcById = vpcs.ToDictionary(v => v.Id);
        string VrfName(VpcRow vpc) => $"{tenants[vpc.TenantId]}.{vpc.Name}";
        string SegmentName(SubnetRow subnet) => $"{tenants[subnet.TenantId]}.{subnet.Name}";
        var byName = subnets.ToLookup(s => (s.VpcId, s.Name));
        var segments = subnets.OrderBy(s => s.L2Vni).Select(s =>
        {
            var cidr = IpBlock.Parse(s.Cidr);
            var rules = SubnetKind.RulesOf(s).Select(r => new AclRuleIntent(
                r.From!.StartsWith("subnet:", StringComparison.Ordinal)
                    ? [.. byName[(s.VpcId, r.From[7..])].SelectMany(o => o.Ipv6Cidr is null ? new[] { o.Cidr } : [o.Cidr, o.Ipv6Cidr])]
                    : [IpBlock.Parse(r.From).ToString()],
                r.Protocol ?? "any", r.Ports, r.Action != "Deny")).ToList();
            return new SegmentIntent(
                SegmentName(s), VrfName(vpcById[s.VpcId]), s.L2Vni, s.Cidr, SubnetAddressing.Gateway(cidr).ToString(), s.Ipv6Cidr,
                s.Ipv6Cidr is null ? null : SubnetAddressing.Gateway(IpBlock.Parse(s.Ipv6Cidr)).ToString(), SubnetKind.VlansOf(s), rules,
                s.IngressDefault != "Deny");
        }).ToList();
        var subnetById = subnets.ToDictionary(s => s.Id);
        return new FabricIntent(
            fabric.Name, leaves,
            [.. vpcs.OrderBy(v => v.VrfId).Select(v => new VrfIntent(VrfName(v), v.VrfId, v.L3Vni, RouteTarget(v)))],
            segments,
            [.. attachments.OrderBy(a => a.Node, StringComparer.Ordinal).ThenBy(a => a.Nic, StringComparer.Ordinal)
                .Select(a => new PortIntent(a.Leaf, a.Port, a.Node, a.Nic, SegmentName(subnetById[a.SubnetId]), a.Address, a.Ipv6Address))],
            []);
    }
}
