using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dflare.Core.Processes;

namespace Dflare.Core.Network;

/// <summary>
/// A fabric built of Linux network namespaces on this host (../shared/design/LAB.md): each leaf is a namespace joined
/// to the others by an underlay bridge (the spine); a tenant segment is a bridge plus a VXLAN device (its L2 VNI,
/// head-end replication to the other leaves' VTEPs) on every leaf, with the subnet's anycast gateway on the bridge; a
/// tenant VRF is a routing table chosen by <c>ip rule iif</c> for the VRF's bridges, ending in <c>unreachable
/// default</c>, with the <c>local</c> rule moved after the tenant rules (this kernel has no VRF or VLAN devices, so VLAN
/// ids are recorded, not realized). Ingress ACLs are nftables rules in each leaf's forward hook. A node is a namespace
/// whose NIC is a veth into its leaf's segment bridge; the driver also configures the node's side, as cloud-init's
/// network config would. InfiniBand partitions are written as OpenSM's <c>partitions.conf</c>. Needs root.
/// </summary>
/// <param name="prefix">Starts every namespace name, so several labs (tests) can share a host.</param>
/// <param name="stateDirectory">Where the subnet manager's files are written.</param>
/// <param name="isolation">False builds the same fabric with no tenant rules (one shared routing table): what the
/// isolation test uses to show that its cross-tenant probes can succeed.</param>
public sealed class LabFabricDriver(string prefix, string stateDirectory, bool isolation = true) : IFabricDriver
{
    private const int RulePriority = 1000;
    private const int LocalRulePriority = 32000;
    private const int TableBase = 10_000;

    public string Spine => $"{prefix}-spine";

    public string LeafNamespace(string leaf) => $"{prefix}-{leaf}";

    public string NodeNamespace(string node) => $"{prefix}-h-{node}";

    public static string Bridge(int vni) => $"br{vni}";

    public static int Table(VrfIntent vrf) => TableBase + vrf.VrfId;

    public string PartitionsFile(string fabric) => Path.Combine(stateDirectory, fabric, "partitions.conf");

    public async Task ApplyAsync(FabricIntent intent, CancellationToken cancellationToken)
    {
        // Callers serialize applies per fabric (NetworkSync does).
        if (intent.Partitions.Count > 0 || File.Exists(PartitionsFile(intent.Fabric)))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(PartitionsFile(intent.Fabric))!);
            await File.WriteAllTextAsync(PartitionsFile(intent.Fabric), InfinibandRenderer.OpenSmPartitions(intent), cancellationToken);
        }
        if (intent.Infiniband || intent.Leaves.Count == 0)
        {
            return;
        }
        await EnsureUnderlayAsync(intent.Leaves, cancellationToken);
        foreach (var leaf in intent.Leaves)
        {
            await ApplyLeafAsync(intent, leaf, cancellationToken);
        }
        await ApplyPortsAsync(intent, cancellationToken);
    }

    public async Task<IReadOnlyList<FabricDrift>> DiffAsync(FabricIntent intent, CancellationToken cancellationToken)
    {
        var drift = new List<FabricDrift>();
        var partitions = PartitionsFile(intent.Fabric);
        if (intent.Partitions.Count > 0 && (!File.Exists(partitions) || await File.ReadAllTextAsync(partitions, cancellationToken) != InfinibandRenderer.OpenSmPartitions(intent)))
        {
            drift.Add(new FabricDrift("partition", intent.Fabric, "the subnet manager's partitions.conf differs from the intent"));
        }
        if (intent.Infiniband)
        {
            return drift;
        }
        var namespaces = await NamespacesAsync(cancellationToken);
        foreach (var leaf in intent.Leaves)
        {
            var ns = LeafNamespace(leaf.Name);
            if (!namespaces.Contains(ns))
            {
                drift.Add(new FabricDrift("leaf", leaf.Name, "the leaf's namespace is missing"));
                continue;
            }
            var links = await LabLinux.LinksAsync(ns, cancellationToken);
            foreach (var segment in intent.Segments)
            {
                var name = $"{segment.Name}@{leaf.Name}";
                var bridge = links.GetValueOrDefault(Bridge(segment.L2Vni));
                var vxlan = links.GetValueOrDefault($"vx{segment.L2Vni}");
                if (bridge is null || vxlan is null || vxlan.Master != bridge.Name)
                {
                    drift.Add(new FabricDrift("segment", name, $"VLAN {segment.VlanByLeaf.GetValueOrDefault(leaf.Name)} / VNI {segment.L2Vni} is missing on the leaf"));
                }
                else if (!bridge.Addresses.Contains($"{segment.Gateway}/{IpBlock.Parse(segment.Cidr).Length}"))
                {
                    drift.Add(new FabricDrift("segment", name, $"the gateway {segment.Gateway} is missing"));
                }
            }
            var wantedBridges = intent.Segments.Select(s => Bridge(s.L2Vni)).ToHashSet(StringComparer.Ordinal);
            drift.AddRange(links.Values.Where(l => l.Alias?.StartsWith("dflare ", StringComparison.Ordinal) == true && !wantedBridges.Contains(l.Name))
                .Select(l => new FabricDrift("segment", $"{l.Alias![7..]}@{leaf.Name}", "not in the intent")));
            if (isolation)
            {
                var rules = await LabLinux.RulesAsync(ns, cancellationToken);
                var wantedRules = WantedRules(intent).ToHashSet();
                foreach (var rule in wantedRules.Where(r => !rules.Contains(r)))
                {
                    drift.Add(new FabricDrift("vrf", $"{rule.Iif}@{leaf.Name}", $"the rule sending {rule.Iif} to table {rule.Table} is missing"));
                }
                drift.AddRange(rules.Where(r => r.Priority == RulePriority && !wantedRules.Contains(r))
                    .Select(r => new FabricDrift("vrf", $"{r.Iif}@{leaf.Name}", $"an unexpected rule sends {r.Iif} to table {r.Table}")));
                if (!rules.Contains(new LabLinux.IpRule(LocalRulePriority, null, "local")) || rules.Any(r => r.Priority == 0))
                {
                    drift.Add(new FabricDrift("vrf", $"local@{leaf.Name}", "the local table is not consulted after the tenant rules"));
                }
                foreach (var vrf in intent.Vrfs)
                {
                    var routes = await LabLinux.RunAsync(["ip", "-n", ns, "route", "show", "table", Table(vrf).ToString(CultureInfo.InvariantCulture)], cancellationToken);
                    if (!routes.Contains("unreachable default", StringComparison.Ordinal))
                    {
                        drift.Add(new FabricDrift("vrf", $"{vrf.Name}@{leaf.Name}", $"table {Table(vrf)} lost its unreachable default"));
                    }
                }
            }
            var acl = await LabLinux.RunAsync(["nsenter", $"--net=/run/netns/{ns}", "nft", "list", "table", "inet", "dflare"], cancellationToken, allowFailure: true);
            if (!LabAcls.Listed(acl).SequenceEqual(LabAcls.Rules(intent)))
            {
                drift.Add(new FabricDrift("acl", $"forward@{leaf.Name}", "the leaf's ACL table differs from the intent"));
            }
        }
        foreach (var port in intent.Ports)
        {
            var name = $"{port.Node}.{port.Nic}@{port.Leaf}";
            var segment = intent.Segments.FirstOrDefault(s => s.Name == port.Segment);
            var ns = LeafNamespace(port.Leaf);
            var link = namespaces.Contains(ns) ? (await LabLinux.LinksAsync(ns, cancellationToken)).GetValueOrDefault(PortLink(port)) : null;
            if (segment is null || link is null || link.Master != Bridge(segment.L2Vni))
            {
                drift.Add(new FabricDrift("port", name, "the port is not in its segment"));
                continue;
            }
            var host = NodeNamespace(port.Node);
            var nic = namespaces.Contains(host) ? (await LabLinux.LinksAsync(host, cancellationToken)).GetValueOrDefault(port.Nic) : null;
            if (nic is null || !nic.Addresses.Contains($"{port.Address}/{IpBlock.Parse(segment.Cidr).Length}"))
            {
                drift.Add(new FabricDrift("port", name, $"the node's {port.Nic} does not hold {port.Address}"));
            }
        }
        return drift;
    }

    /// <summary>Deletes every namespace of this lab (tests, and an operator retiring a lab fabric).</summary>
    public async Task RemoveAllAsync(CancellationToken cancellationToken)
    {
        foreach (var ns in await NamespacesAsync(cancellationToken))
        {
            await LabLinux.RunAsync(["ip", "netns", "delete", ns], cancellationToken, allowFailure: true);
        }
    }

    private async Task EnsureUnderlayAsync(IReadOnlyList<LeafIntent> leaves, CancellationToken cancellationToken)
    {
        var namespaces = await NamespacesAsync(cancellationToken);
        if (!namespaces.Contains(Spine))
        {
            await LabLinux.RunAsync(["ip", "netns", "add", Spine], cancellationToken);
            await LabLinux.RunAsync(["ip", "-n", Spine, "link", "add", "underlay", "type", "bridge"], cancellationToken);
            await LabLinux.RunAsync(["ip", "-n", Spine, "link", "set", "underlay", "up"], cancellationToken);
        }
        foreach (var leaf in leaves)
        {
            var ns = LeafNamespace(leaf.Name);
            if (!namespaces.Contains(ns))
            {
                await LabLinux.RunAsync(["ip", "netns", "add", ns], cancellationToken);
                await LabLinux.RunAsync(["ip", "-n", ns, "link", "set", "lo", "up"], cancellationToken);
                await LabLinux.RunAsync(["nsenter", $"--net=/run/netns/{ns}", "sysctl", "-qw", "net.ipv4.ip_forward=1"], cancellationToken);
                var spinePort = $"u{Hash($"{prefix}/{leaf.Name}")}";
                var leafPort = $"t{Hash($"{prefix}/{leaf.Name}")}";
                await LabLinux.RunAsync(["ip", "link", "add", spinePort, "type", "veth", "peer", "name", leafPort], cancellationToken);
                await LabLinux.RunAsync(["ip", "link", "set", spinePort, "netns", Spine], cancellationToken);
                await LabLinux.RunAsync(["ip", "link", "set", leafPort, "netns", ns], cancellationToken);
                await LabLinux.RunAsync(["ip", "-n", ns, "link", "set", leafPort, "name", "underlay"], cancellationToken);
                await LabLinux.RunAsync(["ip", "-n", Spine, "link", "set", spinePort, "master", "underlay", "up"], cancellationToken);
                await LabLinux.RunAsync(["ip", "-n", ns, "link", "set", "underlay", "up"], cancellationToken);
            }
            await LabLinux.RunAsync(["ip", "-n", ns, "addr", "replace", $"{leaf.Vtep}/32", "dev", "underlay"], cancellationToken);
            foreach (var other in leaves.Where(l => l.Name != leaf.Name))
            {
                await LabLinux.RunAsync(["ip", "-n", ns, "route", "replace", $"{other.Vtep}/32", "dev", "underlay", "src", leaf.Vtep], cancellationToken);
            }
        }
    }

    private async Task ApplyLeafAsync(FabricIntent intent, LeafIntent leaf, CancellationToken cancellationToken)
    {
        var ns = LeafNamespace(leaf.Name);
        var links = await LabLinux.LinksAsync(ns, cancellationToken);
        var wanted = intent.Segments.ToDictionary(s => Bridge(s.L2Vni), StringComparer.Ordinal);
        foreach (var stale in links.Values.Where(l => l.Alias?.StartsWith("dflare ", StringComparison.Ordinal) == true && !wanted.ContainsKey(l.Name)))
        {
            await LabLinux.RunAsync(["ip", "-n", ns, "link", "delete", stale.Name], cancellationToken, allowFailure: true);
            await LabLinux.RunAsync(["ip", "-n", ns, "link", "delete", $"vx{stale.Name[2..]}"], cancellationToken, allowFailure: true);
        }
        var leafIndex = Hash(leaf.Name);
        foreach (var (bridge, segment) in wanted)
        {
            var vxlan = $"vx{segment.L2Vni}";
            if (!links.ContainsKey(bridge))
            {
                // Each leaf's gateway has its own MAC: with one anycast MAC, a host's ARP reply to a gateway on another
                // leaf would be taken by the local bridge as addressed to itself.
                var mac = string.Create(CultureInfo.InvariantCulture, $"02:{leafIndex[..2]}:{leafIndex[2..4]}:{(segment.L2Vni >> 16) & 0xFF:x2}:{(segment.L2Vni >> 8) & 0xFF:x2}:{segment.L2Vni & 0xFF:x2}");
                await LabLinux.RunAsync(["ip", "-n", ns, "link", "add", bridge, "address", mac, "type", "bridge"], cancellationToken);
                await LabLinux.RunAsync(["ip", "-n", ns, "link", "set", bridge, "alias", $"dflare {segment.Name}"], cancellationToken);
            }
            if (!links.TryGetValue(vxlan, out var existing) || existing.Master != bridge)
            {
                await LabLinux.RunAsync(["ip", "-n", ns, "link", "delete", vxlan], cancellationToken, allowFailure: true);
                await LabLinux.RunAsync(["ip", "-n", ns, "link", "add", vxlan, "type", "vxlan", "id", segment.L2Vni.ToString(CultureInfo.InvariantCulture),
                    "local", leaf.Vtep, "dstport", "4789", "nolearning"], cancellationToken);
                await LabLinux.RunAsync(["ip", "-n", ns, "link", "set", vxlan, "master", bridge], cancellationToken);
                foreach (var other in intent.Leaves.Where(l => l.Name != leaf.Name))
                {
                    await LabLinux.RunAsync(["bridge", "-n", ns, "fdb", "append", "00:00:00:00:00:00", "dev", vxlan, "dst", other.Vtep], cancellationToken);
                }
            }
            await LabLinux.RunAsync(["ip", "-n", ns, "link", "set", vxlan, "up"], cancellationToken);
            await LabLinux.RunAsync(["ip", "-n", ns, "link", "set", bridge, "up"], cancellationToken);
            await LabLinux.RunAsync(["ip", "-n", ns, "addr", "replace", $"{segment.Gateway}/{IpBlock.Parse(segment.Cidr).Length}", "dev", bridge], cancellationToken);
        }
        await ApplyRoutingAsync(intent, ns, cancellationToken);
        var table = $"table inet dflare\ndelete table inet dflare\ntable inet dflare {{\n\tchain forward {{\n\t\ttype filter hook forward priority filter; policy accept;\n{string.Concat(LabAcls.Rules(intent).Select(r => $"\t\t{r}\n"))}\t}}\n}}\n";
        await LabLinux.RunAsync(["nsenter", $"--net=/run/netns/{ns}", "nft", "-f", "-"], cancellationToken, input: table);
    }

    private async Task ApplyRoutingAsync(FabricIntent intent, string ns, CancellationToken cancellationToken)
    {
        var rules = await LabLinux.RulesAsync(ns, cancellationToken);
        var wanted = isolation ? WantedRules(intent).ToHashSet() : [];
        foreach (var rule in rules.Where(r => r.Priority == RulePriority && !wanted.Contains(r)))
        {
            await LabLinux.RunAsync(["ip", "-n", ns, "rule", "delete", "pref", $"{RulePriority}", "iif", rule.Iif!, "lookup", rule.Table], cancellationToken, allowFailure: true);
        }
        foreach (var rule in wanted.Where(r => !rules.Contains(r)))
        {
            await LabLinux.RunAsync(["ip", "-n", ns, "rule", "add", "pref", $"{RulePriority}", "iif", rule.Iif!, "lookup", rule.Table], cancellationToken);
        }
        // Packets addressed to any gateway on the leaf would otherwise be delivered by the local table before any
        // tenant rule is read: another tenant's gateway would answer. With isolation off, the default order stays.
        var local = new LabLinux.IpRule(LocalRulePriority, null, "local");
        if (isolation && !rules.Contains(local))
        {
            await LabLinux.RunAsync(["ip", "-n", ns, "rule", "add", "pref", $"{LocalRulePriority}", "lookup", "local"], cancellationToken);
        }
        if (isolation && rules.Any(r => r.Priority == 0))
        {
            await LabLinux.RunAsync(["ip", "-n", ns, "rule", "delete", "pref", "0"], cancellationToken);
        }
        if (!isolation && rules.Contains(local))
        {
            await LabLinux.RunAsync(["ip", "-n", ns, "rule", "add", "pref", "0", "lookup", "local"], cancellationToken, allowFailure: true);
            await LabLinux.RunAsync(["ip", "-n", ns, "rule", "delete", "pref", $"{LocalRulePriority}"], cancellationToken);
        }
        var wantedTables = isolation ? intent.Vrfs.Select(Table).ToHashSet() : [];
        foreach (var stale in rules.Select(r => int.TryParse(r.Table, CultureInfo.InvariantCulture, out var t) ? t : 0).Where(t => t >= TableBase && !wantedTables.Contains(t)).Distinct())
        {
            await LabLinux.RunAsync(["ip", "-n", ns, "route", "flush", "table", $"{stale}"], cancellationToken, allowFailure: true);
        }
        foreach (var vrf in isolation ? intent.Vrfs : [])
        {
            var table = $"{Table(vrf)}";
            await LabLinux.RunAsync(["ip", "-n", ns, "route", "flush", "table", table], cancellationToken, allowFailure: true);
            await LabLinux.RunAsync(["ip", "-n", ns, "route", "add", "unreachable", "default", "table", table], cancellationToken);
            foreach (var segment in intent.Segments.Where(s => s.Vrf == vrf.Name))
            {
                var bridge = Bridge(segment.L2Vni);
                await LabLinux.RunAsync(["ip", "-n", ns, "route", "add", segment.Cidr, "dev", bridge, "src", segment.Gateway, "table", table], cancellationToken);
                await LabLinux.RunAsync(["ip", "-n", ns, "route", "add", "local", segment.Gateway, "dev", bridge, "table", table], cancellationToken);
            }
        }
    }

    private async Task ApplyPortsAsync(FabricIntent intent, CancellationToken cancellationToken)
    {
        var namespaces = await NamespacesAsync(cancellationToken);
        var segments = intent.Segments.ToDictionary(s => s.Name, StringComparer.Ordinal);
        var wanted = intent.Ports.Where(p => segments.ContainsKey(p.Segment)).ToList();
        foreach (var leaf in intent.Leaves)
        {
            var ns = LeafNamespace(leaf.Name);
            var keep = wanted.Where(p => p.Leaf == leaf.Name).Select(PortLink).ToHashSet(StringComparer.Ordinal);
            foreach (var stale in (await LabLinux.LinksAsync(ns, cancellationToken)).Values.Where(l => l.Alias?.StartsWith("dflare-port ", StringComparison.Ordinal) == true && !keep.Contains(l.Name)))
            {
                await LabLinux.RunAsync(["ip", "-n", ns, "link", "delete", stale.Name], cancellationToken, allowFailure: true);
            }
        }
        var nodes = wanted.Select(p => NodeNamespace(p.Node)).ToHashSet(StringComparer.Ordinal);
        foreach (var stale in namespaces.Where(n => n.StartsWith($"{prefix}-h-", StringComparison.Ordinal) && !nodes.Contains(n)))
        {
            await LabLinux.RunAsync(["ip", "netns", "delete", stale], cancellationToken, allowFailure: true);
        }
        foreach (var group in wanted.GroupBy(p => p.Node).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var host = NodeNamespace(group.Key);
            if (!namespaces.Contains(host))
            {
                await LabLinux.RunAsync(["ip", "netns", "add", host], cancellationToken);
                await LabLinux.RunAsync(["ip", "-n", host, "link", "set", "lo", "up"], cancellationToken);
            }
            var hostLinks = await LabLinux.LinksAsync(host, cancellationToken);
            var first = true;
            foreach (var port in group.OrderBy(p => p.Nic, StringComparer.Ordinal))
            {
                var segment = segments[port.Segment];
                var ns = LeafNamespace(port.Leaf);
                var link = PortLink(port);
                var leafLinks = await LabLinux.LinksAsync(ns, cancellationToken);
                if (!leafLinks.ContainsKey(link) || !hostLinks.ContainsKey(port.Nic))
                {
                    await LabLinux.RunAsync(["ip", "-n", ns, "link", "delete", link], cancellationToken, allowFailure: true);
                    await LabLinux.RunAsync(["ip", "-n", host, "link", "delete", port.Nic], cancellationToken, allowFailure: true);
                    var temporary = $"n{link[1..]}";
                    await LabLinux.RunAsync(["ip", "link", "add", link, "type", "veth", "peer", "name", temporary], cancellationToken);
                    await LabLinux.RunAsync(["ip", "link", "set", link, "netns", ns], cancellationToken);
                    await LabLinux.RunAsync(["ip", "link", "set", temporary, "netns", host], cancellationToken);
                    await LabLinux.RunAsync(["ip", "-n", host, "link", "set", temporary, "name", port.Nic], cancellationToken);
                    await LabLinux.RunAsync(["ip", "-n", ns, "link", "set", link, "alias", $"dflare-port {port.Node}.{port.Nic}"], cancellationToken);
                }
                await LabLinux.RunAsync(["ip", "-n", ns, "link", "set", link, "master", Bridge(segment.L2Vni), "up"], cancellationToken);
                var length = IpBlock.Parse(segment.Cidr).Length;
                await LabLinux.RunAsync(["ip", "-n", host, "addr", "flush", "dev", port.Nic], cancellationToken);
                await LabLinux.RunAsync(["ip", "-n", host, "addr", "add", $"{port.Address}/{length}", "dev", port.Nic], cancellationToken);
                await LabLinux.RunAsync(["ip", "-n", host, "link", "set", port.Nic, "up"], cancellationToken);
                if (first)
                {
                    await LabLinux.RunAsync(["ip", "-n", host, "route", "replace", "default", "via", segment.Gateway, "dev", port.Nic], cancellationToken);
                    first = false;
                }
            }
        }
    }

    private static IEnumerable<LabLinux.IpRule> WantedRules(FabricIntent intent)
    {
        var vrfs = intent.Vrfs.ToDictionary(v => v.Name, StringComparer.Ordinal);
        return intent.Segments.Where(s => vrfs.ContainsKey(s.Vrf))
            .Select(s => new LabLinux.IpRule(RulePriority, Bridge(s.L2Vni), Table(vrfs[s.Vrf]).ToString(CultureInfo.InvariantCulture)));
    }

    /// <summary>Temporary names are made in the host's namespace, so they carry the prefix: parallel labs never collide.</summary>
    private string PortLink(PortIntent port) => $"p{Hash($"{prefix}/{port.Node}/{port.Nic}")}";

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..8];

    private async Task<HashSet<string>> NamespacesAsync(CancellationToken cancellationToken)
    {
        var listing = await LabLinux.RunAsync(["ip", "-j", "netns", "list"], cancellationToken);
        var names = new HashSet<string>(StringComparer.Ordinal);
        if (listing.Trim().Length > 0)
        {
            foreach (var entry in JsonDocument.Parse(listing).RootElement.EnumerateArray())
            {
                var name = entry.GetProperty("name").GetString()!;
                if (name == Spine || name.StartsWith($"{prefix}-", StringComparison.Ordinal))
                {
                    names.Add(name);
                }
            }
        }
        return names;
    }
}
