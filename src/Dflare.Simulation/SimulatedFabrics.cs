using System.Globalization;
using Dflare.Core.Network;
using Dflare.Core.Resources;

namespace Dflare.Simulation;

/// <summary>
/// The simulated datacenter's two fabrics, as an operator would register them: an Ethernet leaf-spine (a leaf per rack,
/// every node's NICs cabled to its rack's leaf) and an InfiniBand fat-tree (a leaf per rack, every HCA port with a GUID),
/// with pools sized for a small cloud. Names match the racks' <c>ethernetLeaf</c> and <c>infinibandLeaf</c>.
/// </summary>
public static class SimulatedFabrics
{
    public const string Ethernet = "sim-ethernet";
    public const string Infiniband = "sim-infiniband";

    public static (IReadOnlyList<Fabric> Fabrics, IReadOnlyList<NetworkPool> Pools) Of(SimulatedDatacenter datacenter)
    {
        var racks = datacenter.Nodes.Select(n => n.Rack).Distinct().Order(StringComparer.Ordinal).ToList();
        var spines = datacenter.Topology.Fabric;
        var byRack = datacenter.Nodes.OrderBy(n => n.Name, StringComparer.Ordinal).GroupBy(n => n.Rack).ToDictionary(g => g.Key, g => g.ToList());
        var ethernet = new Fabric
        {
            ApiVersion = ApiVersions.V1, Kind = Fabric.KindName, Metadata = new ObjectMeta { Name = Ethernet },
            Spec = new FabricSpec
            {
                Type = FabricTypes.Ethernet, Driver = "Simulated",
                Switches = [
                    .. racks.Select((r, i) => new FabricSwitch($"{r}-leaf", "Leaf", 65101 + i, Vtep(i), r)),
                    .. Enumerable.Range(1, spines.EthernetSpines).Select(s => new FabricSwitch($"spine{s}", "Spine", 65000, null, null)),
                ],
                Links = [.. racks.SelectMany(r => byRack[r].SelectMany((n, i) => Enumerable.Range(0, n.Sku.Nics).Select(nic =>
                    new FabricLink(n.Name, $"eth{nic}", $"{r}-leaf", $"Ethernet{(i * n.Sku.Nics) + nic}"))))],
            },
        };
        var infiniband = new Fabric
        {
            ApiVersion = ApiVersions.V1, Kind = Fabric.KindName, Metadata = new ObjectMeta { Name = Infiniband },
            Spec = new FabricSpec
            {
                Type = FabricTypes.Infiniband, Driver = "Simulated", SubnetManager = new SubnetManager("OpenSm", null),
                Switches = [
                    .. racks.Select(r => new FabricSwitch($"{r}-ibleaf", "Leaf", null, null, r)),
                    .. Enumerable.Range(1, spines.InfinibandSpines).Select(s => new FabricSwitch($"ibspine{s}", "Spine", null, null, null)),
                ],
                Hcas = [.. datacenter.Nodes.OrderBy(n => n.Name, StringComparer.Ordinal).SelectMany((n, i) => Enumerable.Range(1, n.Sku.Hcas).Select(h =>
                    new FabricHca(n.Name, h, string.Create(CultureInfo.InvariantCulture, $"0x0002c903{i:x4}{h:x4}"), $"{n.Rack}-ibleaf")))],
            },
        };
        NetworkPool Pool(string name, string fabric, NetworkPoolSpec spec) => new()
        {
            ApiVersion = ApiVersions.V1, Kind = NetworkPool.KindName, Metadata = new ObjectMeta { Name = name }, Spec = spec with { Fabric = fabric },
        };
        return ([ethernet, infiniband],
        [
            Pool("sim-vrfs", Ethernet, new NetworkPoolSpec { Kind = PoolKinds.Vrf, Start = 1, End = 4000 }),
            Pool("sim-l3vnis", Ethernet, new NetworkPoolSpec { Kind = PoolKinds.L3Vni, Start = 50_000, End = 59_999 }),
            Pool("sim-l2vnis", Ethernet, new NetworkPoolSpec { Kind = PoolKinds.L2Vni, Start = 10_000, End = 49_999 }),
            Pool("sim-vlans", Ethernet, new NetworkPoolSpec { Kind = PoolKinds.Vlan, Start = 100, End = 3999 }),
            Pool("sim-tenant-v4", Ethernet, new NetworkPoolSpec { Kind = PoolKinds.Ipv4, Prefix = "10.128.0.0/12", SubnetLength = 24 }),
            Pool("sim-tenant-v6", Ethernet, new NetworkPoolSpec { Kind = PoolKinds.Ipv6, Prefix = "fd00:dfa::/48", SubnetLength = 64 }),
            Pool("sim-pkeys", Infiniband, new NetworkPoolSpec { Kind = PoolKinds.PKey, Start = 1, End = 0x7FFE }),
        ]);
    }

    private static string Vtep(int leaf) => string.Create(CultureInfo.InvariantCulture, $"10.254.{leaf / 250}.{(leaf % 250) + 1}");
}
