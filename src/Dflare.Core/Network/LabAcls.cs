namespace Dflare.Core.Network;

/// <summary>The Lab's ingress ACLs as nftables rules in each leaf's forward hook: routed traffic into a segment's bridge
/// from any other interface, matched first to last, then the segment's default.</summary>
public static class LabAcls
{
    /// <summary>The forward chain's rules, written as <c>nft list</c> prints them so a listing compares line by line.</summary>
    public static IReadOnlyList<string> Rules(FabricIntent intent)
    {
        var lines = new List<string>();
        foreach (var segment in intent.Segments.Where(s => s.Ingress.Count > 0 || !s.IngressDefaultAllow).OrderBy(s => s.L2Vni))
        {
            var into = $"oifname \"{LabFabricDriver.Bridge(segment.L2Vni)}\" iifname != \"{LabFabricDriver.Bridge(segment.L2Vni)}\"";
            foreach (var rule in segment.Ingress)
            {
                var match = rule.Protocol switch
                {
                    "tcp" or "udp" when rule.Ports is not null => $" {rule.Protocol} dport {rule.Ports}",
                    "tcp" or "udp" or "icmp" => $" meta l4proto {rule.Protocol}",
                    _ => "",
                };
                foreach (var from in rule.From)
                {
                    var family = IpBlock.Parse(from).Family == System.Net.Sockets.AddressFamily.InterNetwork ? "ip" : "ip6";
                    lines.Add($"{into} {family} saddr {from}{match} {(rule.Allow ? "accept" : "drop")}");
                }
            }
            if (!segment.IngressDefaultAllow)
            {
                lines.Add($"{into} drop");
            }
        }
        return lines;
    }

    /// <summary>The rule lines of an <c>nft list table</c> listing.</summary>
    public static IEnumerable<string> Listed(string listing) => listing.Split('\n').Select(l => l.Trim())
        .Where(l => l.Length > 0 && !l.StartsWith("table ", StringComparison.Ordinal) && !l.StartsWith("chain ", StringComparison.Ordinal)
            && !l.StartsWith("type ", StringComparison.Ordinal) && l != "}");
}
