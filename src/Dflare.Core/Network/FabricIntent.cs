namespace Dflare.Core.Network;

/// <summary>
/// Everything one fabric should carry, computed from the store: the tenants' VRFs, their segments (subnets) with VLAN
/// ids per leaf and ingress ACLs, the node ports on each segment, and (InfiniBand) the partitions. Drivers converge
/// the fabric to it as a whole, so a repair and a change are the same operation.
/// </summary>
public sealed record FabricIntent(
    string Fabric,
    IReadOnlyList<LeafIntent> Leaves,
    IReadOnlyList<VrfIntent> Vrfs,
    IReadOnlyList<SegmentIntent> Segments,
    IReadOnlyList<PortIntent> Ports,
    IReadOnlyList<PartitionIntent> Partitions,
    bool Infiniband = false)
{
    public static FabricIntent Empty(string fabric, IReadOnlyList<LeafIntent> leaves) => new(fabric, leaves, [], [], [], []);
}

public sealed record LeafIntent(string Name, long Asn, string Vtep);

/// <summary>A tenant VRF. <see cref="Device"/> is its name on a switch or in Linux (15 characters at most).</summary>
public sealed record VrfIntent(string Name, int VrfId, int L3Vni, string RouteTarget)
{
    public string Device => $"vrf{VrfId}";
}

/// <summary>A tenant subnet stretched over every leaf: its L2 VNI, the VLAN id each leaf uses for it, the anycast gateway.</summary>
public sealed record SegmentIntent(
    string Name, string Vrf, int L2Vni, string Cidr, string Gateway, string? Ipv6Cidr, string? Ipv6Gateway,
    IReadOnlyDictionary<string, int> VlanByLeaf, IReadOnlyList<AclRuleIntent> Ingress, bool IngressDefaultAllow);

/// <summary>One ingress rule with its source resolved to prefixes. <see cref="Protocol"/> is <c>any</c>, <c>tcp</c>,
/// <c>udp</c> or <c>icmp</c>; <see cref="Ports"/> a port or range for TCP and UDP.</summary>
public sealed record AclRuleIntent(IReadOnlyList<string> From, string Protocol, string? Ports, bool Allow);

/// <summary>A node NIC on a leaf port, untagged in its segment, with the address IPAM gave it.</summary>
public sealed record PortIntent(string Leaf, string Port, string Node, string Nic, string Segment, string Address, string? Ipv6Address);

/// <summary>A tenant's InfiniBand partition and its member port GUIDs.</summary>
public sealed record PartitionIntent(string Name, int PKey, IReadOnlyList<PartitionMemberIntent> Members);

public sealed record PartitionMemberIntent(string PortGuid, string Node, bool Full);

/// <summary>One way the fabric differs from its intent: <see cref="Element"/> (<c>vrf</c>, <c>segment</c>, <c>acl</c>,
/// <c>port</c>, <c>partition</c>), which one and where, and what is wrong.</summary>
public sealed record FabricDrift(string Element, string Name, string Problem);
