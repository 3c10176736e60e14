using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Dflare.Persistence.Store;
using Dflare.Tests.Infrastructure;
using Dflare.Tests.Provisioning;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dflare.Tests.Core.Clusters;

/// <summary>A server on the simulated datacenter (16 H100 nodes in two racks, its fabrics, pools and parallel
/// filesystem) with every node Ready, and helpers to apply the files in <c>examples/</c>.</summary>
public sealed class ClusterWorld : IAsyncDisposable
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);

    private readonly TempDirectory _directory;

    private ClusterWorld(TestServer server, TempDirectory directory)
    {
        Server = server;
        _directory = directory;
    }

    public TestServer Server { get; }

    public HttpClient Admin => Server.Client;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<ClusterWorld> StartAsync(StoreTarget? store = null, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var directory = new TempDirectory();
        var all = SimulatedDatacenterTests.FleetSettings(directory.Path);
        all["Clusters:PlacementPoll"] = "00:00:00.200";
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }
        var server = await TestServer.StartAsync(store ?? StoreTarget.Sqlite(), all);
        var world = new ClusterWorld(server, directory);
        await Poll.UntilAsync(async ct =>
        {
            var nodes = await SimulatedDatacenterTests.NodesAsync(server.Client);
            return nodes.Count == 16 && nodes.All(n => (string?)n!["status"]!["state"] == "Ready") ? nodes : null;
        }, Deadline, "16 nodes Ready", TimeSpan.FromMilliseconds(250));
        await Poll.UntilAsync(async ct => (await server.Client.GetAsync("/api/v1/storage-backends/sim-lustre", ct)).StatusCode == HttpStatusCode.OK ? "" : null,
            Deadline, "the simulated storage backend");
        return world;
    }

    public T Service<T>() where T : notnull => Server.Server.App.Services.GetRequiredService<T>();

    public async Task<T> StoreAsync<T>(Func<DflareDbContext, Task<T>> read)
    {
        await using var db = StoreContexts.Create(Service<Microsoft.Extensions.Options.IOptions<StoreOptions>>().Value);
        return await read(db);
    }

    public static string Example(string file) => File.ReadAllText(Path.Combine(Dflare.Tests.Server.Api.ProblemCodesTests.RepositoryRoot(), "examples", file));

    /// <summary>POSTs YAML (or JSON) to <paramref name="path"/> and answers the response.</summary>
    public async Task<HttpResponseMessage> PostAsync(string path, string body, string contentType = "application/yaml", HttpClient? client = null)
    {
        using var content = new StringContent(body, Encoding.UTF8, contentType);
        return await (client ?? Admin).PostAsync(path, content, Ct);
    }

    public async Task CreatedAsync(string path, string body, string contentType = "application/yaml")
    {
        var response = await PostAsync(path, body, contentType);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
    }

    /// <summary>A tenant with project <c>research</c>, from the examples.</summary>
    public async Task TenantAsync(string name)
    {
        await CreatedAsync("/api/v1/tenants", Json.Tenant(name), "application/json");
        await CreatedAsync($"/api/v1/tenants/{name}/projects", Example("project-research.json"), "application/json");
    }

    public async Task<JsonNode> GetAsync(string path) => await (await Admin.GetAsync(path, Ct)).ReadAsync();

    /// <summary>Waits for <c>status.phase</c> to be <paramref name="phase"/>; fails at once on Failed (with the reason).</summary>
    public Task<JsonNode> PhaseAsync(string path, string phase) => Poll.UntilAsync(async ct =>
    {
        var body = await (await Admin.GetAsync(path, ct)).ReadAsync();
        var now = (string?)body["status"]?["phase"];
        Assert.False(now == "Failed" && phase != "Failed", $"{path} failed: {body["status"]?["reason"]}");
        return now == phase ? body : null;
    }, Deadline, $"{path} to be {phase}", TimeSpan.FromMilliseconds(100));

    public Task GoneAsync(string path) => Poll.UntilAsync(async ct =>
        (await Admin.GetAsync(path, ct)).StatusCode == HttpStatusCode.NotFound ? "" : null, Deadline, $"{path} to be gone", TimeSpan.FromMilliseconds(100));

    /// <summary>Waits for every node to be Ready; on timeout says which are not, and why.</summary>
    public async Task AllReadyAsync()
    {
        JsonArray nodes = [];
        try
        {
            await Poll.UntilAsync(async ct =>
            {
                nodes = await SimulatedDatacenterTests.NodesAsync(Admin);
                return nodes.All(n => (string?)n!["status"]!["state"] == "Ready") ? nodes : null;
            }, Deadline, "every node Ready", TimeSpan.FromMilliseconds(250));
        }
        catch (TimeoutException)
        {
            var stuck = nodes.Where(n => (string?)n!["status"]!["state"] != "Ready").Select(n => $"{n!["metadata"]!["name"]}: {n["status"]!["state"]} {n["status"]!["reason"]}");
            var first = nodes.First(n => (string?)n!["status"]!["state"] != "Ready")!["metadata"]!["name"];
            var history = await GetAsync($"/api/v1/nodes/{first}/history");
            var operation = await GetAsync($"/api/v1/operations/{history["transitions"]![0]!["operation"]}");
            Assert.Fail($"Not Ready: {string.Join("; ", stuck)}. {first}'s last operation: {operation.ToJsonString()}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        _directory.Dispose();
    }
}
