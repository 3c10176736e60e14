using System.Text.Json.Nodes;
using Dflare.Core.Network;
using Dflare.Tests.Infrastructure;

namespace Dflare.Tests.Core.Network;

/// <summary>
/// The rendered FRR configuration is given to real FRR (Debian's frr, zebra and bgpd in each Lab leaf's namespace,
/// loaded through vtysh as the integrated config is): it is accepted without a single refused line, the leaves bring
/// up their BGP EVPN session over the Lab underlay, and zebra learns every L2 VNI and the other leaf as its remote
/// VTEP. Needs root.
/// </summary>
public sealed class FrrAcceptanceTests : IAsyncDisposable
{
    private static readonly string[] Vnis = ["10000", "10001"];
    private readonly string _prefix = LabNames.NewPrefix();
    private readonly TempDirectory _state = new();
    private readonly List<string> _pidFiles = [];
    private readonly LabFabricDriver _lab;

    public FrrAcceptanceTests()
    {
        // The daemons drop to the frr user, which must reach its directories.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(_state.Path, (UnixFileMode)0b111_101_101);
        }
        _lab = new LabFabricDriver(_prefix, _state.Path);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RealFrr_AcceptsTheRenderedLeafConfiguration_AndPeersOverEvpn()
    {
        Assert.True(Environment.UserName == "root", "FRR runs in the Lab's namespaces and needs root (CI runs as root)");
        Assert.True(File.Exists("/usr/lib/frr/bgpd"), "Debian's frr is not installed (the test command installs it)");
        var intent = new FabricIntent("frr",
            [new LeafIntent("leaf1", 65101, "10.254.0.1"), new LeafIntent("leaf2", 65102, "10.254.0.2")],
            [new VrfIntent("acme.main", 7, 50007, "65000:50007")],
            [
                new SegmentIntent("acme.web", "acme.main", 10000, "10.1.1.0/24", "10.1.1.1", null, null, new Dictionary<string, int> { ["leaf1"] = 100, ["leaf2"] = 100 }, [], true),
                new SegmentIntent("acme.db", "acme.main", 10001, "10.1.2.0/24", "10.1.2.1", null, null, new Dictionary<string, int> { ["leaf1"] = 101, ["leaf2"] = 101 }, [], true),
            ],
            [], []);
        await _lab.ApplyAsync(intent, Ct);
        foreach (var leaf in intent.Leaves)
        {
            var directory = Path.Combine(_state.Path, leaf.Name);
            Directory.CreateDirectory(directory);
            var config = Path.Combine(directory, "frr.conf");
            await File.WriteAllTextAsync(config, FrrRenderer.Leaf(intent, leaf), Ct);
            await File.WriteAllTextAsync(Path.Combine(directory, "empty.conf"), "", Ct);
            await LabNames.RunAsync(["chown", "-R", "frr:frr", directory]);
            var ns = $"--net=/run/netns/{_lab.LeafNamespace(leaf.Name)}";
            foreach (var daemon in new[] { "zebra", "bgpd" })
            {
                var pid = Path.Combine(directory, $"{daemon}.pid");
                _pidFiles.Add(pid);
                await LabNames.RunAsync(["nsenter", ns, $"/usr/lib/frr/{daemon}", "-d", "-f", Path.Combine(directory, "empty.conf"), "-i", pid,
                    "-z", Path.Combine(directory, "zserv.api"), "--vty_socket", directory, "-P", "0"]);
            }
            var loaded = await LabNames.RunAsync(["nsenter", ns, "vtysh", "--vty_socket", directory, "-f", config], check: false);
            Assert.True(loaded.ExitCode == 0 && !loaded.Output.Contains('%', StringComparison.Ordinal) && !loaded.Error.Contains('%', StringComparison.Ordinal),
                $"FRR refused part of the rendered configuration of {leaf.Name}: {loaded.Output} {loaded.Error}");
            var running = (await Vtysh(leaf.Name, "show running-config")).Output;
            Assert.Contains("vrf vrf7\n vni 50007\nexit-vrf", running, StringComparison.Ordinal);
            Assert.Contains($"router bgp {leaf.Asn} vrf vrf7", running, StringComparison.Ordinal);
            Assert.Contains("  vni 10001\n", running, StringComparison.Ordinal);
        }

        var peer = await Poll.UntilAsync(async _ =>
        {
            var summary = JsonNode.Parse((await Vtysh("leaf1", "show bgp l2vpn evpn summary json")).Output);
            return (string?)summary?["peers"]?["10.254.0.2"]?["state"] == "Established" ? summary : null;
        }, TimeSpan.FromSeconds(60), "the EVPN session between the leaves", TimeSpan.FromMilliseconds(250));
        Assert.Equal(65102, (int)peer["peers"]!["10.254.0.2"]!["remoteAs"]!);
        var vnis = await Poll.UntilAsync(async _ =>
        {
            var listing = JsonNode.Parse((await Vtysh("leaf1", "show evpn vni json")).Output);
            var learned = Vnis.All(v => listing?[v]?["remoteVteps"]?.AsArray().Any(r => (string?)r == "10.254.0.2") == true);
            return learned ? listing : null;
        }, TimeSpan.FromSeconds(60), "zebra to learn both VNIs with leaf2 as remote VTEP", TimeSpan.FromMilliseconds(250));
        Assert.Equal("L2", (string)vnis["10000"]!["type"]!);
    }

    private Task<Dflare.Core.Processes.ProcessOutcome> Vtysh(string leaf, string command) =>
        LabNames.RunAsync(["vtysh", "--vty_socket", Path.Combine(_state.Path, leaf), "-c", command]);

    public async ValueTask DisposeAsync()
    {
        foreach (var pid in _pidFiles.Where(File.Exists))
        {
            if (int.TryParse(await File.ReadAllTextAsync(pid), out var id))
            {
                try
                {
                    using var process = System.Diagnostics.Process.GetProcessById(id);
                    process.Kill();
                    await process.WaitForExitAsync();
                }
                catch (ArgumentException)
                {
                    // Already gone.
                }
            }
        }
        await _lab.RemoveAllAsync(CancellationToken.None);
        _state.Dispose();
    }
}
