using System.Globalization;
using System.Text.Json.Nodes;

namespace Dflare.Core.Network;

/// <summary>
/// The SONiC <c>config_db.json</c> fragment for one leaf: VLANs and untagged members, the VXLAN tunnel and its
/// VNI-to-VLAN map with the EVPN NVO, tenant VRFs with their L3 VNI, the VLAN interfaces (anycast gateways) bound to
/// them, and an egress ACL table per subnet with ingress rules. Applied with <c>sonic-cfggen -j fragment.json --write-to-db</c>
/// or <c>config load</c>; rendered and tested here, never run against a switch.
/// </summary>
public static class SonicRenderer
{
    public static JsonObject Leaf(FabricIntent intent, LeafIntent leaf)
    {
        var vlans = new JsonObject();
        var members = new JsonObject();
        var tunnelMap = new JsonObject();
        var vrfs = new JsonObject();
        var interfaces = new JsonObject();
        var tables = new JsonObject();
        var rules = new JsonObject();
        foreach (var vrf in intent.Vrfs.OrderBy(v => v.VrfId))
        {
            vrfs[Vrf(vrf)] = new JsonObject { ["vni"] = Text(vrf.L3Vni) };
        }
        foreach (var segment in intent.Segments.OrderBy(s => s.L2Vni))
        {
            if (!segment.VlanByLeaf.TryGetValue(leaf.Name, out var id))
            {
                continue;
            }
            var vlan = $"Vlan{id}";
            vlans[vlan] = new JsonObject { ["vlanid"] = Text(id) };
            tunnelMap[$"vtep|map_{segment.L2Vni}_{vlan}"] = new JsonObject { ["vlan"] = vlan, ["vni"] = Text(segment.L2Vni) };
            var vrf = intent.Vrfs.FirstOrDefault(v => v.Name == segment.Vrf);
            interfaces[vlan] = vrf is null ? new JsonObject() : new JsonObject { ["vrf_name"] = Vrf(vrf) };
            interfaces[$"{vlan}|{segment.Gateway}/{IpBlock.Parse(segment.Cidr).Length}"] = new JsonObject();
            if (segment.Ipv6Gateway is not null)
            {
                interfaces[$"{vlan}|{segment.Ipv6Gateway}/{IpBlock.Parse(segment.Ipv6Cidr!).Length}"] = new JsonObject();
            }
            foreach (var port in intent.Ports.Where(p => p.Leaf == leaf.Name && p.Segment == segment.Name).OrderBy(p => p.Port, StringComparer.Ordinal))
            {
                members[$"{vlan}|{port.Port}"] = new JsonObject { ["tagging_mode"] = "untagged" };
            }
            if (segment.Ingress.Count == 0 && segment.IngressDefaultAllow)
            {
                continue;
            }
            var table = $"DFLARE_{vlan}";
            tables[table] = new JsonObject
            {
                ["policy_desc"] = $"ingress of {segment.Name}", ["type"] = "L3", ["stage"] = "egress", ["ports"] = new JsonArray(vlan),
            };
            // SONiC matches the highest priority first; rules keep their order, the default comes last.
            var priority = 9000;
            foreach (var rule in segment.Ingress)
            {
                foreach (var from in rule.From)
                {
                    var entry = new JsonObject { ["PRIORITY"] = Text(priority), ["PACKET_ACTION"] = rule.Allow ? "FORWARD" : "DROP" };
                    entry[from.Contains(':', StringComparison.Ordinal) ? "SRC_IPV6" : "SRC_IP"] = from;
                    if (rule.Protocol != "any")
                    {
                        entry["IP_PROTOCOL"] = rule.Protocol switch { "tcp" => "6", "udp" => "17", _ => from.Contains(':', StringComparison.Ordinal) ? "58" : "1" };
                    }
                    if (rule.Ports is { } ports)
                    {
                        entry[ports.Contains('-', StringComparison.Ordinal) ? "L4_DST_PORT_RANGE" : "L4_DST_PORT"] = ports;
                    }
                    rules[$"{table}|RULE_{9000 - priority + 1}"] = entry;
                    priority--;
                }
            }
            rules[$"{table}|DEFAULT"] = new JsonObject
            {
                ["PRIORITY"] = "1", ["PACKET_ACTION"] = segment.IngressDefaultAllow ? "FORWARD" : "DROP", ["ETHER_TYPE"] = "0x0800",
            };
        }
        return new JsonObject
        {
            ["VLAN"] = vlans,
            ["VLAN_MEMBER"] = members,
            ["VXLAN_TUNNEL"] = new JsonObject { ["vtep"] = new JsonObject { ["src_ip"] = leaf.Vtep } },
            ["VXLAN_EVPN_NVO"] = new JsonObject { ["nvo"] = new JsonObject { ["source_vtep"] = "vtep" } },
            ["VXLAN_TUNNEL_MAP"] = tunnelMap,
            ["VRF"] = vrfs,
            ["VLAN_INTERFACE"] = interfaces,
            ["ACL_TABLE"] = tables,
            ["ACL_RULE"] = rules,
        };
    }

    /// <summary>SONiC requires VRF names to start with "Vrf".</summary>
    public static string Vrf(VrfIntent vrf) => $"Vrf{vrf.VrfId}";

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
