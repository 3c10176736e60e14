using System.Net;
using System.Text.Json.Nodes;
using Dflare.Core.Provisioning.Bmc;
using Dflare.Server.Hosting;
using Dflare.Simulation;
using Dflare.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Dflare.Tests.Provisioning;

/// <summary>
/// The simulated datacenter end to end: the topology builds the fleet, its manifest is enrolled, and every node goes
/// through the real workflows — Redfish over HTTP, PXE, cloud-init seed, image checksum, agent bootstrap over mTLS —
/// to Ready. Faults end in the documented state with the reason, never Ready.
/// </summary>
public abstract class SimulatedDatacenterTests
{
    protected static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected abstract Task<StoreTarget> CreateStoreAsync();

    internal static Dictionary<string, string?> FleetSettings(string dataDirectory, string? topology = null) => new()
    {
        ["Store:DataDirectory"] = dataDirectory,
        ["Simulation:Enabled"] = "true",
        ["Simulation:Topology"] = topology,
        ["Simulation:TimeScale"] = "0",
        ["Provisioning:Automatic"] = "true",
        ["Provisioning:PollInterval"] = "00:00:00.200",
        ["Provisioning:BmcAttempts"] = "3",
        ["Provisioning:BmcBackoff"] = "00:00:00.100",
        ["Agents:HeartbeatInterval"] = "00:00:01",
        ["Agents:MissedHeartbeats"] = "2",
        ["Workflows:PollMilliseconds"] = "50",
    };

    internal static async Task<JsonArray> NodesAsync(HttpClient client, string query = "")
    {
        var list = await (await client.GetAsync($"/api/v1/nodes?limit=500{query}", Ct)).ReadAsync();
        return list["items"]!.AsArray();
    }

    internal static Task<JsonArray> UntilSettledAsync(HttpClient client, int count) =>
        Poll.UntilAsync(async ct =>
        {
            var nodes = await NodesAsync(client);
            return nodes.Count == count && nodes.All(n => (string?)n!["status"]!["state"] is "Ready" or "Failed") ? nodes : null;
        }, Deadline, $"{count} nodes to be Ready or Failed", TimeSpan.FromMilliseconds(250));

    [Fact]
    public async Task DefaultFleet_EveryNodeReachesReady_ThroughTheRealWorkflows()
    {
        using var directory = new TempDirectory();
        await using var server = await TestServer.StartAsync(await CreateStoreAsync(), FleetSettings(directory.Path));

        var nodes = await UntilSettledAsync(server.Client, 16);

        Assert.All(nodes, node =>
        {
            Assert.Equal("Ready", (string?)node!["status"]!["state"]);
            Assert.Equal(8, node["status"]!["gpus"]!.AsArray().Count);
            Assert.All(node["status"]!["gpus"]!.AsArray(), g => Assert.StartsWith("SIM", (string?)g!["serialNumber"], StringComparison.Ordinal));
            Assert.Equal("Green", (string?)node["status"]!["agent"]!["health"]);
            Assert.StartsWith("http://127.0.0.1:", (string?)node["spec"]!["bmc"]!["address"], StringComparison.Ordinal); // Redfish over HTTP
        });
        var history = await (await server.Client.GetAsync("/api/v1/nodes/sim-r1-n01/history", Ct)).ReadAsync();
        Assert.Equal<string>(["Ready", "Provisioning", "Available", "Inspecting"],
            [.. history["transitions"]!.AsArray().Select(t => (string)t!["to"]!)]);
        var provisioning = (string?)history["transitions"]![0]!["operation"];
        var operation = await (await server.Client.GetAsync($"/api/v1/operations/{provisioning}", Ct)).ReadAsync();
        Assert.Equal<string>(["request", "network", "bootstrap", "configure", "storage", "register"],
            [.. operation["status"]!["steps"]!.AsArray().Select(s => (string)s!["name"]!)]);
        // The network step finds the node's cabling on the simulated fabrics: two NICs on its rack's leaf, eight HCAs.
        var ports = operation["status"]!["steps"]![1]!["output"]!["ports"]!.AsArray();
        Assert.Equal(10, ports.Count);
        Assert.Equal("sim-r1-leaf", (string?)ports[0]!["leaf"]);
        Assert.Equal("eth0", (string?)ports[0]!["nic"]);
        Assert.Equal("sim-infiniband", (string?)ports[9]!["fabric"]);
        Assert.Empty(operation["status"]!["steps"]![1]!["output"]!["subnets"]!.AsArray());
        var datacenter = server.Server.App.Services.GetRequiredService<SimulationHost>().Datacenter!;
        Assert.All(datacenter.Nodes, n => Assert.Equal(PowerState.On, n.Bmc.Power));
        Assert.All(datacenter.Nodes, n => Assert.Equal("CN=Dflare node agent CA", n.Agent!.Certificate!.Issuer));
    }

    [Fact]
    public async Task ReadyNode_ThatStopsBeating_IsUnreachable_AndRecoversWhenItBootsAgain()
    {
        using var directory = new TempDirectory();
        var topology = await TopologyAsync(directory, """{"sites":[{"name":"hb","racks":1,"nodesPerRack":1}],"skus":[{"name":"hgx-h100-8"}]}""");
        await using var server = await TestServer.StartAsync(await CreateStoreAsync(), FleetSettings(directory.Path, topology));
        await UntilSettledAsync(server.Client, 1);
        var node = server.Server.App.Services.GetRequiredService<SimulationHost>().Datacenter!.Node("hb-r1-n01");

        node.Bmc.Reset(ResetKind.ForceOff);
        var unreachable = await Poll.UntilAsync(async _ =>
            (await NodesAsync(server.Client)).FirstOrDefault(n => (string?)n!["status"]!["agent"]!["health"] == "Unreachable"), Deadline, "the node to be Unreachable");
        node.Bmc.Reset(ResetKind.On); // boots from disk: the agent comes back with the certificate it kept
        await Poll.UntilAsync(async _ =>
            (await NodesAsync(server.Client)).FirstOrDefault(n => (string?)n!["status"]!["agent"]!["health"] == "Green"), Deadline, "the node to be Green again");

        Assert.Contains("missed 2 heartbeats", (string?)unreachable!["status"]!["agent"]!["healthReason"], StringComparison.Ordinal);
        Assert.Equal("Ready", (string?)unreachable["status"]!["state"]);
    }

    [Fact]
    public async Task DegradedHealth_IsReported_FromTheAgentsHeartbeats()
    {
        using var directory = new TempDirectory();
        var topology = await TopologyAsync(directory, """{"sites":[{"name":"xid","racks":1,"nodesPerRack":1}],"skus":[{"name":"hgx-h100-8"}]}""");
        await using var server = await TestServer.StartAsync(await CreateStoreAsync(), FleetSettings(directory.Path, topology));
        await UntilSettledAsync(server.Client, 1);
        var node = server.Server.App.Services.GetRequiredService<SimulationHost>().Datacenter!.Node("xid-r1-n01");

        node.Gpus.SetHealth([new(0, 41, 0, [79]), new(1, 95, 0, []), new(2, 40, 3, [])]);
        var degraded = await Poll.UntilAsync(async _ =>
            (await NodesAsync(server.Client)).FirstOrDefault(n => (string?)n!["status"]!["agent"]!["health"] == "Degraded"), Deadline, "the node to be Degraded");

        var reason = (string?)degraded!["status"]!["agent"]!["healthReason"];
        Assert.Contains("GPU 0 XID 79", reason, StringComparison.Ordinal);
        Assert.Contains("GPU 1 at 95 °C", reason, StringComparison.Ordinal);
        Assert.Contains("GPU 2 3 uncorrectable ECC", reason, StringComparison.Ordinal);
    }

    internal static async Task<string> TopologyAsync(TempDirectory directory, string json)
    {
        var path = Path.Combine(directory.Path, "topology.json");
        await File.WriteAllTextAsync(path, json, Ct);
        return path;
    }
}

public sealed class SqliteSimulatedDatacenterTests : SimulatedDatacenterTests
{
    protected override Task<StoreTarget> CreateStoreAsync() => Task.FromResult(StoreTarget.Sqlite());

    /// <summary>Every injectable fault ends in its documented state with a clear reason, and no failed node is left
    /// powered on with a usable token.</summary>
    [Fact]
    public async Task EachFault_EndsFailed_WithItsReason_AndNeverReady()
    {
        using var directory = new TempDirectory();
        var topology = await TopologyAsync(directory, """
            {
              "seed": 7,
              "skus": [{ "name": "hgx-h100-8" }],
              "sites": [{ "name": "f", "racks": 1, "nodesPerRack": 7 }],
              "faults": {
                "f-r1-n02": ["BmcTimeout"],
                "f-r1-n03": ["WrongCredentials"],
                "f-r1-n04": ["GpuMissing"],
                "f-r1-n05": ["PxeFailure"],
                "f-r1-n06": ["ImageChecksumMismatch"],
                "f-r1-n07": ["AgentNeverRegisters"]
              }
            }
            """);
        var settings = FleetSettings(directory.Path, topology);
        settings["Provisioning:BootTimeout"] = "00:00:03";
        settings["Provisioning:RegistrationTimeout"] = "00:00:03";
        settings["Simulation:BmcProtocol"] = "InProcess";
        await using var server = await TestServer.StartAsync(StoreTarget.Sqlite(), settings);

        var nodes = (await UntilSettledAsync(server.Client, 7)).ToDictionary(n => (string)n!["metadata"]!["name"]!, n => n!["status"]!);

        Assert.Equal("Ready", (string?)nodes["f-r1-n01"]["state"]);
        AssertFailed(nodes["f-r1-n02"], "inspection failed", "no answer");
        AssertFailed(nodes["f-r1-n03"], "inspection failed", "credentials were refused");
        AssertFailed(nodes["f-r1-n04"], "inspection failed", "the BMC reports 7 GPU(s)");
        AssertFailed(nodes["f-r1-n05"], "provisioning failed", "gave up waiting for the node to PXE boot");
        AssertFailed(nodes["f-r1-n06"], "provisioning failed", "checksum mismatch");
        AssertFailed(nodes["f-r1-n07"], "provisioning failed", "gave up waiting for the node agent to register");
        var datacenter = server.Server.App.Services.GetRequiredService<SimulationHost>().Datacenter!;
        // Provisioning failures power the node off: nothing half-provisioned keeps running.
        Assert.All(["f-r1-n05", "f-r1-n06", "f-r1-n07"], name => Assert.Equal(PowerState.Off, datacenter.Node(name).Bmc.Power));
        var retried = await OperationOfAsync(server.Client, "f-r1-n02", "inspect-node");
        var refused = await OperationOfAsync(server.Client, "f-r1-n03", "inspect-node");
        Assert.Equal(3, (int)retried["status"]!["steps"]![1]!["attempts"]!); // an unreachable BMC is retried
        Assert.Equal(1, (int)refused["status"]!["steps"]![1]!["attempts"]!);  // refused credentials are not
    }

    [Fact]
    public async Task Agent_RenewsItsCertificate_BeforeItExpires_AndStaysHealthy()
    {
        using var directory = new TempDirectory();
        var topology = await TopologyAsync(directory, """{"sites":[{"name":"rot","racks":1,"nodesPerRack":1}],"skus":[{"name":"hgx-h100-8"}]}""");
        var settings = FleetSettings(directory.Path, topology);
        settings["Agents:CertificateLifetime"] = "00:00:06";
        await using var server = await TestServer.StartAsync(StoreTarget.Sqlite(), settings);
        await UntilSettledAsync(server.Client, 1);
        var agent = server.Server.App.Services.GetRequiredService<SimulationHost>().Datacenter!.Node("rot-r1-n01").Agent!;
        var first = agent.Certificate!.SerialNumber;

        await Poll.UntilAsync(_ => Task.FromResult(agent.Certificate!.SerialNumber != first ? agent : null), Deadline, "the agent to renew its certificate");
        var beats = agent.Heartbeats;
        await Poll.UntilAsync(_ => Task.FromResult(agent.Heartbeats > beats + 1 ? agent : null), Deadline, "heartbeats with the new certificate");
        var node = (await NodesAsync(server.Client)).Single()!;

        Assert.Equal("Green", (string?)node["status"]!["agent"]!["health"]);
        Assert.True(agent.Certificate!.NotAfter > DateTime.Now);
    }

    private static void AssertFailed(JsonNode status, string what, string why)
    {
        Assert.Equal("Failed", (string?)status["state"]);
        Assert.StartsWith(what, (string?)status["reason"], StringComparison.Ordinal);
        Assert.Contains(why, (string?)status["reason"], StringComparison.Ordinal);
    }

    private static async Task<JsonNode> OperationOfAsync(HttpClient client, string node, string workflow)
    {
        var list = await (await client.GetAsync($"/api/v1/operations?target=node/{node}", Ct)).ReadAsync();
        return list["items"]!.AsArray().Single(o => (string?)o!["spec"]!["workflow"] == workflow)!;
    }
}

public sealed class PostgresSimulatedDatacenterTests : SimulatedDatacenterTests
{
    protected override Task<StoreTarget> CreateStoreAsync() => StoreTarget.PostgresAsync();
}
