using Dflare.Simulation.Standalone;
using Dflare.Tests.Infrastructure;

namespace Dflare.Tests.Provisioning;

/// <summary>dflare-sim: the simulated datacenter as its own process, joined to a control plane only by the network —
/// its BMCs on its own address, its manifest through the public API, its machines booting from the control plane.</summary>
public sealed class StandaloneSimulatorTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Simulator_EnrolsItsFleetThroughTheApi_AndEveryNodeReachesReady()
    {
        using var directory = new TempDirectory();
        var topology = await SimulatedDatacenterTests.TopologyAsync(directory, """{"sites":[{"name":"far","racks":1,"nodesPerRack":2}],"skus":[{"name":"hgx-h100-8"}]}""");
        var settings = SimulatedDatacenterTests.FleetSettings(directory.Path);
        settings["Simulation:Enabled"] = "false"; // the control plane runs no simulation of its own
        await using var server = await TestServer.StartAsync(StoreTarget.Sqlite(), settings);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var bmcs = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new StringWriter();
        var error = new StringWriter();

        var simulator = StandaloneSimulator.RunAsync(
            ["--control-plane", server.Server.BaseAddress.ToString(), "--token", TestServer.AdminCredential, "--topology", topology, "--time-scale", "0"],
            output, error, stop.Token, address => bmcs.TrySetResult(address));
        var address = await bmcs.Task.WaitAsync(TimeSpan.FromSeconds(60), Ct);
        var nodes = await SimulatedDatacenterTests.UntilSettledAsync(server.Client, 2);
        await stop.CancelAsync();
        var exit = await simulator;

        Assert.Equal(StandaloneSimulator.ExitOk, exit);
        Assert.Equal("", error.ToString());
        Assert.Contains("2 node(s) enrolled", output.ToString(), StringComparison.Ordinal);
        Assert.NotEqual(server.Server.BaseAddress.Port, address.Port);
        Assert.All(nodes, node =>
        {
            Assert.Equal("Ready", (string?)node!["status"]!["state"]);
            Assert.StartsWith(new Uri(address, "bmc/").ToString(), (string?)node["spec"]!["bmc"]!["address"], StringComparison.Ordinal);
            Assert.Equal(8, node["status"]!["gpus"]!.AsArray().Count);
        });
        // Its fabrics and pools were registered through the API too: a tenant can make a VPC on them.
        var fabric = await (await server.Client.GetAsync("/api/v1/fabrics/sim-ethernet", Ct)).ReadAsync();
        Assert.Equal(2, fabric["spec"]!["links"]!.AsArray().Count(l => (string?)l!["switch"] == "far-r1-leaf" && (string?)l["nic"] == "eth0"));
        var pools = await (await server.Client.GetAsync("/api/v1/network-pools", Ct)).ReadAsync();
        Assert.Equal(7, pools["items"]!.AsArray().Count);
    }

    [Fact]
    public async Task Executable_EnrolsItsFleet_AndStopsCleanlyOnSigterm()
    {
        using var directory = new TempDirectory();
        var topology = await SimulatedDatacenterTests.TopologyAsync(directory, """{"sites":[{"name":"exe","racks":1,"nodesPerRack":1}],"skus":[{"name":"hgx-h100-8"}]}""");
        await using var server = await TestServer.StartAsync(StoreTarget.Sqlite());
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "dflare-sim.dll"), "--control-plane", server.Server.BaseAddress.ToString(), "--topology", topology })
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["DFLARE_TOKEN"] = TestServer.AdminCredential;
        using var process = System.Diagnostics.Process.Start(start)!;
        try
        {
            var line = await process.StandardOutput.ReadLineAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(60), Ct);
            using (var kill = System.Diagnostics.Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync(Ct);
            }
            await process.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(60), Ct);

            Assert.StartsWith("dflare-sim: 1 node(s) enrolled", line, StringComparison.Ordinal);
            Assert.Equal(0, process.ExitCode);
            Assert.Single((await SimulatedDatacenterTests.NodesAsync(server.Client)));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    [Fact]
    public async Task Simulator_WithACredentialTheControlPlaneRefuses_ExitsOneSayingWhy()
    {
        await using var server = await TestServer.StartAsync(StoreTarget.Sqlite());
        var error = new StringWriter();

        var exit = await StandaloneSimulator.RunAsync(
            ["--control-plane", server.Server.BaseAddress.ToString(), "--token", "dfl_not_a_credential"], TextWriter.Null, error, Ct);

        Assert.Equal(StandaloneSimulator.ExitError, exit);
        Assert.Contains("refused the manifest: 401 unauthenticated", error.ToString(), StringComparison.Ordinal);
        Assert.Equal("tenants=0 projects=0 idempotency=0 sites=0 racks=0 skus=0 nodes=0", await server.CountRowsAsync());
    }

    [Fact]
    public async Task Simulator_WithNoControlPlaneListening_ExitsOne()
    {
        var error = new StringWriter();

        var exit = await StandaloneSimulator.RunAsync(["--control-plane", "http://127.0.0.1:1", "--token", "t"], TextWriter.Null, error, Ct);

        Assert.Equal(StandaloneSimulator.ExitError, exit);
        Assert.Contains("cannot be reached", error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "--token", "t" }, "--control-plane is required")]
    [InlineData(new[] { "--control-plane", "ftp://x", "--token", "t" }, "is not an http(s) address")]
    [InlineData(new[] { "--control-plane", "http://127.0.0.1:5080" }, "a credential is required")]
    [InlineData(new[] { "--control-plane", "http://127.0.0.1:5080", "--token", "t", "--time-scale", "fast" }, "--time-scale must be a number")]
    [InlineData(new[] { "--control-plane", "http://127.0.0.1:5080", "--token", "t", "--racks", "3" }, "unknown argument '--racks'")]
    [InlineData(new[] { "--control-plane" }, "--control-plane needs a value")]
    public async Task Simulator_WithABadCommandLine_ExitsTwoWithOneLine(string[] args, string expected)
    {
        var error = new StringWriter();

        var exit = await StandaloneSimulator.RunAsync(args, TextWriter.Null, error, Ct);

        Assert.Equal(StandaloneSimulator.ExitUsage, exit);
        Assert.StartsWith("dflare-sim: ", error.ToString(), StringComparison.Ordinal);
        Assert.Contains(expected, error.ToString().Split('\n')[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Simulator_WithABrokenTopologyFile_ExitsTwoNamingIt()
    {
        using var directory = new TempDirectory();
        var topology = await SimulatedDatacenterTests.TopologyAsync(directory, """{"sites":[{"name":"x","racks":0,"nodesPerRack":1}],"skus":[{"name":"s"}]}""");
        var error = new StringWriter();

        var exit = await StandaloneSimulator.RunAsync(["--control-plane", "http://127.0.0.1:1", "--token", "t", "--topology", topology], TextWriter.Null, error, Ct);

        Assert.Equal(StandaloneSimulator.ExitUsage, exit);
        Assert.Contains("racks must be from 1 to 1000", error.ToString(), StringComparison.Ordinal);
    }
}
