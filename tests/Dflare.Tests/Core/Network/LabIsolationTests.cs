using Dflare.Core.Network;
using Dflare.Tests.Infrastructure;

namespace Dflare.Tests.Core.Network;

/// <summary>
/// Isolation proven with packets (needs root). Through the API, on the Lab fabric: two tenants, each a VPC with two
/// subnets whose nodes sit on both leaves. Every pair the policy allows reaches (ping), the pair a subnet ACL forbids
/// does not, and every cross-tenant probe fails: host to host, host to the other tenant's gateways, and a rogue host
/// with a copied address on the other tenant's segment (UDP, checked at the receiver). The same run with the driver's
/// isolation switched off sees the cross-tenant probes succeed, so the test can fail.
/// </summary>
public sealed class LabIsolationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public Task CrossTenantTraffic_IsDropped_ByTheFabric() => RunAsync(isolation: true);

    [Fact]
    public Task WithIsolationOff_TheSameCrossTenantProbes_Succeed() => RunAsync(isolation: false);

    private sealed record Host(string Tenant, string Node, string Address, string Subnet);

    private static async Task RunAsync(bool isolation)
    {
        Assert.True(Environment.UserName == "root", "the Lab driver makes network namespaces and needs root (CI runs as root)");
        var prefix = LabNames.NewPrefix();
        using var state = new TempDirectory();
        var world = await NetworkWorld.StartAsync("Lab", settings: new Dictionary<string, string?>
        {
            ["Network:LabPrefix"] = prefix, ["Network:LabStateDirectory"] = state.Path, ["Network:LabIsolation"] = isolation ? "true" : "false",
            ["Network:ReconcileInterval"] = "01:00:00",
        });
        var lab = new LabFabricDriver(prefix, state.Path);
        try
        {
            var hosts = new List<Host>();
            var node = 1;
            foreach (var tenant in new[] { "acme", "globex" })
            {
                await world.TenantAsync(tenant);
                await world.VpcAsync(tenant, "main");
                await world.SubnetAsync(tenant, "web", "main");
                // The database subnet admits ICMP and PostgreSQL from web, nothing else routed.
                await world.SubnetAsync(tenant, "db", "main", """
                    , "ingress":[{"from":"subnet:web","protocol":"icmp"},{"from":"subnet:web","protocol":"tcp","ports":"5432"}], "ingressDefault":"Deny"
                    """);
                foreach (var subnet in new[] { "web", "db" })
                {
                    // Odd nodes are cabled to leaf1, even ones to leaf2: each subnet spans both leaves.
                    for (var i = 0; i < 2; i++, node++)
                    {
                        hosts.Add(new Host(tenant, $"n{node}", await world.AttachAsync(tenant, subnet, $"n{node}"), subnet));
                    }
                }
            }
            var subnets = new Dictionary<(string, string), (string Gateway, int Vni)>();
            foreach (var tenant in new[] { "acme", "globex" })
            {
                foreach (var subnet in new[] { "web", "db" })
                {
                    var body = await world.ReadyAsync($"/api/v1/tenants/{tenant}/subnets/{subnet}");
                    subnets[(tenant, subnet)] = ((string)body["status"]!["gateway"]!, (int)body["status"]!["l2Vni"]!);
                }
            }

            var probes = new List<Task<(string What, bool Reached, bool Expected)>>();
            foreach (var from in hosts)
            {
                foreach (var to in hosts.Where(h => h != from))
                {
                    var sameTenant = from.Tenant == to.Tenant;
                    // Only the ACL into db stands between subnets of one tenant; it admits ICMP from web, and same-subnet
                    // traffic is bridged, not routed, so no ACL applies to it.
                    if (sameTenant)
                    {
                        probes.Add(Ping(lab, from, to.Address, $"{from.Node}->{to.Node}", expected: true));
                    }
                    else
                    {
                        // Without isolation the fabric routes between tenants, and only the db ACLs (which admit their
                        // own tenant's web alone, requests and replies alike) still stop a pair.
                        probes.Add(Ping(lab, from, to.Address, $"{from.Node}->{to.Node} (other tenant)", expected: !isolation && from.Subnet == "web" && to.Subnet == "web"));
                    }
                }
                foreach (var ((tenant, subnet), (gateway, _)) in subnets)
                {
                    probes.Add(Ping(lab, from, gateway, $"{from.Node}->{tenant}/{subnet} gateway", expected: tenant == from.Tenant || !isolation));
                }
            }
            var results = await Task.WhenAll(probes);
            var wrong = results.Where(r => r.Reached != r.Expected).Select(r => $"{r.What}: {(r.Reached ? "reached" : "did not reach")}").ToList();
            Assert.True(wrong.Count == 0, string.Join("; ", wrong));

            // The ACL forbids what it does not admit: UDP from web into db, within the tenant.
            var acmeWeb = hosts.First(h => h.Tenant == "acme" && h.Subnet == "web");
            var acmeDb = hosts.First(h => h.Tenant == "acme" && h.Subnet == "db");
            Assert.False(await UdpReachesAsync(lab.NodeNamespace(acmeWeb.Node), lab.NodeNamespace(acmeDb.Node), acmeDb.Address, 9000), "the db ACL let UDP from web through");

            // A rogue host on globex's web segment (leaf1) takes the address of acme's db node on leaf1 and sends to
            // acme's web node on leaf1.
            var rogue = $"{prefix}-rogue";
            var victim = hosts.First(h => h.Tenant == "acme" && h.Subnet == "web" && h.Node == "n1");
            var copied = hosts.First(h => h.Tenant == "acme" && h.Subnet == "db" && h.Node == "n3").Address;
            await LabNames.RunAsync(["ip", "netns", "add", rogue]);
            await LabNames.RunAsync(["ip", "link", "add", $"r{prefix}", "type", "veth", "peer", "name", $"q{prefix}"]);
            await LabNames.RunAsync(["ip", "link", "set", $"r{prefix}", "netns", lab.LeafNamespace("leaf1")]);
            await LabNames.RunAsync(["ip", "link", "set", $"q{prefix}", "netns", rogue]);
            await LabNames.RunAsync(["ip", "-n", lab.LeafNamespace("leaf1"), "link", "set", $"r{prefix}", "master", LabFabricDriver.Bridge(subnets[("globex", "web")].Vni), "up"]);
            await LabNames.RunAsync(["ip", "-n", rogue, "addr", "add", $"{copied}/32", "dev", $"q{prefix}"]);
            await LabNames.RunAsync(["ip", "-n", rogue, "link", "set", $"q{prefix}", "up"]);
            await LabNames.RunAsync(["ip", "-n", rogue, "route", "add", "default", "via", subnets[("globex", "web")].Gateway, "dev", $"q{prefix}", "onlink"]);
            Assert.Equal(!isolation, await UdpReachesAsync(rogue, lab.NodeNamespace(victim.Node), victim.Address, 9001));
        }
        finally
        {
            await world.DisposeAsync();
            await lab.RemoveAllAsync(CancellationToken.None);
        }
    }

    private static async Task<(string, bool, bool)> Ping(LabFabricDriver lab, Host from, string address, string what, bool expected)
    {
        // Three tries, a fifth of a second apart, so a first ARP exchange never reads as a drop.
        var outcome = await LabNames.RunAsync(["nsenter", $"--net=/run/netns/{lab.NodeNamespace(from.Node)}", "ping", "-n", "-q", "-c", "3", "-i", "0.2", "-W", "1", address], check: false);
        return (what, outcome.ExitCode == 0, expected);
    }

    /// <summary>Sends UDP datagrams from <paramref name="sender"/> for two seconds while a listener in
    /// <paramref name="receiver"/> waits for one: reached means the receiver got it.</summary>
    private static async Task<bool> UdpReachesAsync(string sender, string receiver, string address, int port)
    {
        var listen = LabNames.RunAsync(["nsenter", $"--net=/run/netns/{receiver}", "python3", "-c",
            $"import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(('0.0.0.0',{port}))\ns.settimeout(3)\ntry:\n  print(s.recvfrom(64)[0].decode())\nexcept socket.timeout:\n  print('nothing')"], check: false);
        var send = LabNames.RunAsync(["nsenter", $"--net=/run/netns/{sender}", "python3", "-c",
            $"import socket,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\nfor i in range(20):\n  try:\n    s.sendto(b'probe',('{address}',{port}))\n  except OSError:\n    pass\n  time.sleep(0.1)"], check: false);
        await Task.WhenAll(listen, send);
        return (await listen).Output.Trim() == "probe";
    }
}
