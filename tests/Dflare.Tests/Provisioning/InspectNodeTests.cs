using System.Net;
using System.Text.Json.Nodes;
using Dflare.Core.Provisioning.Bmc;
using Dflare.Persistence.Store;
using Dflare.Simulation.Bmc;
using Dflare.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dflare.Tests.Provisioning;

/// <summary>Inspection end to end: the API starts the workflow, the engine drives it, the BMC driver reads a simulated
/// BMC, and the node lands Available with its GPUs — or Failed with the reason.</summary>
public abstract class InspectNodeTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly SimulatedBmcs _bmcs = new();
    private TestServer? _server;

    private HttpClient Client => _server!.Client;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected abstract Task<StoreTarget> CreateStoreAsync();

    public async ValueTask InitializeAsync()
    {
        _server = await TestServer.StartAsync(await CreateStoreAsync(), null, services =>
        {
            services.AddSingleton(_bmcs);
        });
        await Client.PostJsonAsync("/api/v1/sites", """{"metadata":{"name":"lab"},"spec":{}}""");
        await Client.PostJsonAsync("/api/v1/racks", """{"metadata":{"name":"lab-r1"},"spec":{"site":"lab"}}""");
        await Client.PostJsonAsync("/api/v1/skus", """{"metadata":{"name":"hgx-h100-8"},"spec":{"gpuModel":"H100-SXM5-80GB","gpus":8,"cpus":112,"memoryGiB":2048}}""");
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        GC.SuppressFinalize(this);
    }

    private async Task EnrollAsync(string name, int gpus, string password = "pw")
    {
        _bmcs.Add(new SimulatedBmc(name, "admin", "pw", $"SN-{name}", "HGX H100 8-GPU", 112, 2048,
            [.. Enumerable.Range(0, gpus).Select(i => new BmcGpu($"GPU{i}", "H100-SXM5-80GB", $"{name}-GPU-{i}"))]));
        var body = new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = name },
            ["spec"] = new JsonObject
            {
                ["rack"] = "lab-r1", ["sku"] = "hgx-h100-8",
                ["bmc"] = new JsonObject { ["address"] = $"sim://bmc/{name}", ["username"] = "admin", ["password"] = password },
            },
        };
        Assert.Equal(HttpStatusCode.Created, (await Client.PostJsonAsync("/api/v1/nodes", body.ToJsonString())).StatusCode);
    }

    private async Task<JsonNode> InspectToEndAsync(string name)
    {
        var started = await Client.PostAsync($"/api/v1/nodes/{name}/inspect", null, Ct);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var location = started.Headers.Location!.ToString();
        return await Poll.UntilAsync(async ct =>
        {
            var operation = await (await Client.GetAsync(location, ct)).ReadAsync();
            return (string?)operation["status"]!["phase"] is "Succeeded" or "Failed" ? operation : null;
        }, Deadline, $"the inspection of {name} to end");
    }

    private async Task<string?> NodeStateAsync(string name) =>
        (string?)(await (await Client.GetAsync($"/api/v1/nodes/{name}", Ct)).ReadAsync())["status"]!["state"];

    [Fact]
    public async Task HealthyNode_BecomesAvailable_WithItsGpusRecorded()
    {
        await EnrollAsync("good-1", gpus: 8);

        var operation = await InspectToEndAsync("good-1");

        Assert.Equal("Succeeded", (string?)operation["status"]!["phase"]);
        Assert.Equal("Available", await NodeStateAsync("good-1"));
        await using var scope = _server!.Server.App.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DflareDbContext>();
        var gpus = await db.NodeGpus.Where(g => db.Nodes.Any(n => n.Id == g.NodeId && n.Name == "good-1")).OrderBy(g => g.Index).ToListAsync(Ct);
        Assert.Equal(8, gpus.Count);
        Assert.Equal("good-1-GPU-7", gpus[7].SerialNumber);
    }

    [Fact]
    public async Task NodeMissingAGpu_Fails_WithTheMismatchExplained()
    {
        await EnrollAsync("short-1", gpus: 7);

        var operation = await InspectToEndAsync("short-1");

        Assert.Equal("Failed", (string?)operation["status"]!["phase"]);
        Assert.Contains("expects 8 × H100-SXM5-80GB; the BMC reports 7 GPU(s)", (string?)operation["status"]!["lastError"], StringComparison.Ordinal);
        Assert.Equal("Failed", await NodeStateAsync("short-1"));
    }

    [Fact]
    public async Task WrongBmcPassword_FailsAtOnce_WithoutRetrying()
    {
        await EnrollAsync("locked-1", gpus: 8, password: "wrong");

        var operation = await InspectToEndAsync("locked-1");

        Assert.Equal("Failed", (string?)operation["status"]!["phase"]);
        Assert.Contains("credentials were refused", (string?)operation["status"]!["lastError"], StringComparison.Ordinal);
        Assert.Equal(1, (int)operation["status"]!["steps"]![1]!["attempts"]!);
        Assert.Equal("Failed", await NodeStateAsync("locked-1"));
    }

    [Fact]
    public async Task FailedNode_CanBeInspectedAgain_AfterTheFix()
    {
        await EnrollAsync("fixed-1", gpus: 8, password: "wrong");
        await InspectToEndAsync("fixed-1");
        var node = await (await Client.GetAsync("/api/v1/nodes/fixed-1", Ct)).ReadAsync();
        node["spec"]!["bmc"]!["password"] = "pw";

        Assert.Equal(HttpStatusCode.OK, (await Client.PutJsonAsync("/api/v1/nodes/fixed-1", node.ToJsonString())).StatusCode);
        var operation = await InspectToEndAsync("fixed-1");

        Assert.Equal("Succeeded", (string?)operation["status"]!["phase"]);
        Assert.Equal("Available", await NodeStateAsync("fixed-1"));
    }

    [Fact]
    public async Task UnknownNode_Answers404_AndASecondInspectionWhileOneRuns_Answers409()
    {
        await EnrollAsync("busy-1", gpus: 8);
        _bmcs.Find("busy-1")!.Fault = BmcFault.Busy; // keeps the first inspection retrying

        var missing = await Client.PostAsync("/api/v1/nodes/ghost/inspect", null, Ct);
        var first = await Client.PostAsync("/api/v1/nodes/busy-1/inspect", null, Ct);
        var second = await Client.PostAsync("/api/v1/nodes/busy-1/inspect", null, Ct);

        await missing.AssertProblemAsync(404, "not-found");
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        await second.AssertProblemAsync(409, "operation-in-progress");
    }
}

public sealed class SqliteInspectNodeTests : InspectNodeTests
{
    protected override Task<StoreTarget> CreateStoreAsync() => Task.FromResult(StoreTarget.Sqlite());
}

public sealed class PostgresInspectNodeTests : InspectNodeTests
{
    protected override Task<StoreTarget> CreateStoreAsync() => StoreTarget.PostgresAsync();
}
