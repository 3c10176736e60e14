using System.Globalization;
using System.Text;

namespace Dflare.Core.Network;

/// <summary>
/// The FRR configuration a leaf is given (frr.conf, as FRR 8 writes it): one <c>vrf</c> block per tenant VRF with its
/// L3 VNI, BGP EVPN to the other leaves' VTEPs with every L2 VNI advertised under explicit route distinguishers and
/// targets, and per VRF a BGP instance that advertises the tenant's prefixes into EVPN (type-5 routes).
/// </summary>
public static class FrrRenderer
{
    public static string Leaf(FabricIntent intent, LeafIntent leaf)
    {
        var text = new StringBuilder();
        void Line(string line) => text.Append(line).Append('\n');
        Line("frr defaults datacenter");
        Line($"hostname {leaf.Name}");
        Line("log syslog informational");
        Line("!");
        foreach (var vrf in intent.Vrfs.OrderBy(v => v.VrfId))
        {
            Line($"vrf {vrf.Device}");
            Line($" vni {vrf.L3Vni}");
            Line("exit-vrf");
            Line("!");
        }
        Line($"router bgp {leaf.Asn}");
        Line($" bgp router-id {leaf.Vtep}");
        Line(" no bgp default ipv4-unicast");
        Line(" neighbor overlay peer-group");
        Line(" neighbor overlay ebgp-multihop 4");
        Line($" neighbor overlay update-source {leaf.Vtep}");
        foreach (var other in intent.Leaves.Where(l => l.Name != leaf.Name).OrderBy(l => l.Name, StringComparer.Ordinal))
        {
            Line($" neighbor {other.Vtep} remote-as {other.Asn}");
            Line($" neighbor {other.Vtep} peer-group overlay");
        }
        Line(" !");
        Line(" address-family l2vpn evpn");
        Line("  neighbor overlay activate");
        Line("  advertise-all-vni");
        foreach (var segment in intent.Segments.OrderBy(s => s.L2Vni))
        {
            var target = RouteTarget(intent, segment);
            Line($"  vni {segment.L2Vni}");
            Line($"   rd {leaf.Vtep}:{segment.L2Vni}");
            Line($"   route-target import {target}");
            Line($"   route-target export {target}");
            Line("  exit-vni");
        }
        Line(" exit-address-family");
        Line("exit");
        Line("!");
        foreach (var vrf in intent.Vrfs.OrderBy(v => v.VrfId))
        {
            Line($"router bgp {leaf.Asn} vrf {vrf.Device}");
            Line($" bgp router-id {leaf.Vtep}");
            Line(" !");
            Line(" address-family ipv4 unicast");
            Line("  redistribute connected");
            Line(" exit-address-family");
            Line(" !");
            Line(" address-family l2vpn evpn");
            Line("  advertise ipv4 unicast");
            Line($"  rd {leaf.Vtep}:{vrf.VrfId}");
            Line($"  route-target import {vrf.RouteTarget}");
            Line($"  route-target export {vrf.RouteTarget}");
            Line(" exit-address-family");
            Line("exit");
            Line("!");
        }
        return text.ToString();
    }

    /// <summary>An L2 VNI's target: the VRF's ASN part with the VNI, so each segment's MAC routes import only where it lives.</summary>
    public static string RouteTarget(FabricIntent intent, SegmentIntent segment)
    {
        var vrf = intent.Vrfs.FirstOrDefault(v => v.Name == segment.Vrf);
        var asn = vrf?.RouteTarget.Split(':')[0] ?? "65000";
        return string.Create(CultureInfo.InvariantCulture, $"{asn}:{segment.L2Vni}");
    }
}
