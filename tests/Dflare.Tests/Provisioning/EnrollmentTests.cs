using System.Net;
using System.Text.Json.Nodes;
using Dflare.Core.Provisioning.Bmc;
using Dflare.Simulation.Bmc;
using Dflare.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Dflare.Tests.Provisioning;

/// <summary>Enrolling many machines (a manifest, a BMC crawl), the image catalog, and the node API's filters and
/// refusals — on both store providers.</summary>
public abstract class EnrollmentTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private static readonly string Sha = new('c', 64);
    private readonly SimulatedBmcs _bmcs = new();
    private TestServer? _server;

    private HttpClient Client => _server!.Client;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected abstract Task<StoreTarget> CreateStoreAsync();

    public async ValueTask InitializeAsync() =>
        _server = await TestServer.StartAsync(await CreateStoreAsync(), null, services => services.AddSingleton(_bmcs));

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        GC.SuppressFinalize(this);
    }

    private static string Manifest(string nodes, string image = "ubuntu-2404") => $$"""
        {
          "apiVersion": "dflare.ai/v1", "kind": "InventoryManifest",
          "sites": [{ "metadata": { "name": "east" }, "spec": { "location": "Hall 1" } }],
          "racks": [{ "metadata": { "name": "east-r1" }, "spec": { "site": "east", "ethernetLeaf": "leaf-1", "infinibandLeaf": "ib-1" } }],
          "skus": [{ "metadata": { "name": "hgx-h100-8" }, "spec": { "gpuModel": "H100-SXM5-80GB", "gpus": 8, "cpus": 112, "memoryGiB": 2048 } }],
          "images": [{ "metadata": { "name": "{{image}}" }, "spec": { "os": "ubuntu-24.04", "kernel": "6.8.0-45-generic", "gpuDriver": "570.86.15", "cuda": "12.8", "url": "https://images.example/u.img", "sha256": "{{Sha}}" } }],
          "nodes": [{{nodes}}]
        }
        """;

    private static string NodeJson(string name, string address, string rack = "east-r1") =>
        $$"""{ "metadata": { "name": "{{name}}" }, "spec": { "rack": "{{rack}}", "sku": "hgx-h100-8", "image": "ubuntu-2404", "bmc": { "address": "{{address}}", "username": "admin", "password": "pw" } } }""";

    [Fact]
    public async Task Manifest_EnrolsEverything_AndAgainChangesNothing()
    {
        var manifest = Manifest($"{NodeJson("east-n1", "https://10.0.0.1")}, {NodeJson("east-n2", "https://10.0.0.2")}");

        var first = await Client.PostJsonAsync("/api/v1/manifests", manifest);
        var again = await Client.PostJsonAsync("/api/v1/manifests", manifest);
        var nodes = await (await Client.GetAsync("/api/v1/nodes?state=Enrolled&rack=east-r1&sku=hgx-h100-8", Ct)).ReadAsync();
        var image = await (await Client.GetAsync("/api/v1/images/ubuntu-2404", Ct)).ReadAsync();

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var created = (await first.ReadAsync())["created"]!;
        Assert.Equal(2, created["Node"]!.AsArray().Count);
        Assert.Single(created["Rack"]!.AsArray());
        var repeated = await again.ReadAsync();
        Assert.Empty(repeated["created"]!["Node"]!.AsArray());
        Assert.Equal(2, repeated["existing"]!["Node"]!.AsArray().Count);
        Assert.Equal(2, nodes["items"]!.AsArray().Count);
        Assert.Equal(Sha, (string?)image["spec"]!["sha256"]);
    }

    [Fact]
    public async Task BadManifest_NamesEveryField_AndEnrolsNothing()
    {
        var before = await _server!.CountRowsAsync();
        var manifest = Manifest($"{NodeJson("n1", "https://10.0.0.1", rack: "nowhere")}, {NodeJson("n2", "https://10.0.0.1")}, {NodeJson("n2", "https://10.0.0.3")}", image: "Bad_Name");

        var response = await Client.PostJsonAsync("/api/v1/manifests", manifest);

        var problem = await response.AssertProblemAsync(422, "validation-failed");
        var fields = problem["errors"]!.AsArray().Select(e => (string)e!["field"]!).ToList();
        Assert.Contains("images[0].metadata.name", fields);
        Assert.Contains("nodes[2].metadata.name", fields); // a name twice
        Assert.Equal(before, await _server.CountRowsAsync());

        var references = await Client.PostJsonAsync("/api/v1/manifests", Manifest($"{NodeJson("n1", "https://10.0.0.1", rack: "nowhere")}, {NodeJson("n2", "https://10.0.0.1")}"));
        var referenceProblem = await references.AssertProblemAsync(422, "validation-failed");
        Assert.Contains(referenceProblem["errors"]!.AsArray(), e => (string?)e!["field"] == "nodes[0].spec.rack" && (string?)e["code"] == "unknown-reference");
        Assert.Contains(referenceProblem["errors"]!.AsArray(), e => (string?)e!["field"] == "nodes[1].spec.bmc.address");
        Assert.Equal(before, await _server.CountRowsAsync());
    }

    [Fact]
    public async Task Discovery_EnrolsTheMachinesThatAnswer_AndListsTheRest()
    {
        Assert.Equal(HttpStatusCode.OK, (await Client.PostJsonAsync("/api/v1/manifests", Manifest(""))).StatusCode);
        foreach (var id in new[] { "d1", "d2", "d3" })
        {
            _bmcs.Add(new SimulatedBmc(id, "admin", "pw", $"SN/{id.ToUpperInvariant()}", "HGX H100 8-GPU", 112, 2048,
                [.. Enumerable.Range(0, 8).Select(i => new BmcGpu($"GPU{i}", "H100-SXM5-80GB", $"{id}-g{i}"))]));
        }
        _bmcs.Find("d3")!.Fault = BmcFault.Timeout;
        var request = """{"addresses":["sim://bmc/d1","sim://bmc/d2","sim://bmc/d3","sim://bmc/absent"],"username":"admin","password":"pw","rack":"east-r1","sku":"hgx-h100-8"}""";

        var operation = await RunToEndAsync(await Client.PostJsonAsync("/api/v1/discoveries", request));
        var again = await RunToEndAsync(await Client.PostJsonAsync("/api/v1/discoveries", request));
        var node = await (await Client.GetAsync("/api/v1/nodes/east-r1-sn-d1", Ct)).ReadAsync();

        Assert.Equal("Succeeded", (string?)operation["status"]!["phase"]);
        var output = operation["status"]!["steps"]![1]!["output"]!;
        Assert.Equal<string>(["east-r1-sn-d1", "east-r1-sn-d2"], [.. output["enrolled"]!.AsArray().Select(n => (string)n!)]);
        Assert.Equal(2, output["unreachable"]!.AsArray().Count);
        Assert.Equal(2, again["status"]!["steps"]![1]!["output"]!["alreadyEnrolled"]!.AsArray().Count);
        Assert.Equal("Enrolled", (string?)node["status"]!["state"]);
        Assert.Null(node["spec"]!["bmc"]!["password"]);
    }

    [Fact]
    public async Task Discovery_RefusesBadRequests_WithFieldPaths()
    {
        var missing = await Client.PostJsonAsync("/api/v1/discoveries", """{"addresses":["ftp://x"],"username":"admin"}""");
        var unknown = await Client.PostJsonAsync("/api/v1/discoveries", """{"addresses":["sim://bmc/x"],"username":"a","password":"p","rack":"nope","sku":"nope"}""");

        var problem = await missing.AssertProblemAsync(422, "validation-failed");
        var fields = problem["errors"]!.AsArray().Select(e => (string)e!["field"]!).ToList();
        Assert.Contains("addresses[0]", fields);
        Assert.Contains("password", fields);
        Assert.Contains("rack", fields);
        var references = await unknown.AssertProblemAsync(422, "validation-failed");
        Assert.All(references["errors"]!.AsArray(), e => Assert.Equal("unknown-reference", (string?)e!["code"]));
    }

    [Fact]
    public async Task NodeActions_AreRefusedInTheWrongState_AndUnknownFiltersAndNodesAnswerClearly()
    {
        Assert.Equal(HttpStatusCode.OK, (await Client.PostJsonAsync("/api/v1/manifests", Manifest(NodeJson("east-n1", "https://10.0.0.1")))).StatusCode);

        var provision = await Client.PostAsync("/api/v1/nodes/east-n1/provision", null, Ct);
        var badState = await Client.GetAsync("/api/v1/nodes?state=Sleeping", Ct);
        var history = await Client.GetAsync("/api/v1/nodes/ghost/history", Ct);
        var revoke = await Client.PostAsync("/api/v1/nodes/ghost/revoke-agent", null, Ct);
        var deleteImage = await Client.DeleteAsync("/api/v1/images/ubuntu-2404", Ct);
        var badImage = await Client.PostJsonAsync("/api/v1/images", """{"metadata":{"name":"x"},"spec":{"os":"u","kernel":"k","gpuDriver":"d","cuda":"c","url":"file:///x","sha256":"ABC"}}""");

        var conflict = await provision.AssertProblemAsync(409, "node-state-conflict");
        Assert.Contains("Enrolled", (string?)conflict["detail"], StringComparison.Ordinal);
        await badState.AssertProblemAsync(400, "invalid-query", "state");
        await history.AssertProblemAsync(404, "not-found");
        await revoke.AssertProblemAsync(404, "not-found");
        await deleteImage.AssertProblemAsync(409, "has-dependents");
        var imageProblem = await badImage.AssertProblemAsync(422, "validation-failed");
        Assert.Equal<string>(["spec.url", "spec.sha256"], [.. imageProblem["errors"]!.AsArray().Select(e => (string)e!["field"]!)]);
    }

    private async Task<JsonNode> RunToEndAsync(HttpResponseMessage started)
    {
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var location = started.Headers.Location!.ToString();
        return await Poll.UntilAsync(async ct =>
        {
            var operation = await (await Client.GetAsync(location, ct)).ReadAsync();
            return (string?)operation["status"]!["phase"] is "Succeeded" or "Failed" ? operation : null;
        }, Deadline, "the discovery to end");
    }
}

public sealed class SqliteEnrollmentTests : EnrollmentTests
{
    protected override Task<StoreTarget> CreateStoreAsync() => Task.FromResult(StoreTarget.Sqlite());
}

public sealed class PostgresEnrollmentTests : EnrollmentTests
{
    protected override Task<StoreTarget> CreateStoreAsync() => StoreTarget.PostgresAsync();
}
