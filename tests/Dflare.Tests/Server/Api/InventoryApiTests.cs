using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Dflare.Tests.Infrastructure;

namespace Dflare.Tests.Server.Api;

/// <summary>Sites, racks and SKUs through the API, on each store provider.</summary>
public abstract class InventoryApiTests(ServerFixture fixture)
{
    private TestServer Server => fixture.Server;

    private HttpClient Client => Server.Client;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Site(string name) => $$$"""{"metadata":{"name":"{{{name}}}"},"spec":{"displayName":"Site {{{name}}}","location":"Frankfurt, hall 2"}}""";

    private static string Rack(string name, string site) =>
        $$$"""{"metadata":{"name":"{{{name}}}"},"spec":{"site":"{{{site}}}","position":"A-07","ethernetLeaf":"leaf-{{{name}}}","infinibandLeaf":"ib-{{{name}}}"}}""";

    [Fact]
    public async Task Rack_InAnExistingSite_IsCreated_AndTheSiteCannotBeDeletedUnderIt()
    {
        Assert.Equal(HttpStatusCode.Created, (await Client.PostJsonAsync("/api/v1/sites", Site("fra1"))).StatusCode);

        var rack = await Client.PostJsonAsync("/api/v1/racks", Rack("fra1-r01", "fra1"));
        var body = await rack.ReadAsync();
        var refused = await Client.DeleteAsync("/api/v1/sites/fra1", Ct);
        await Client.DeleteAsync("/api/v1/racks/fra1-r01", Ct);
        var deleted = await Client.DeleteAsync("/api/v1/sites/fra1", Ct);

        Assert.Equal(HttpStatusCode.Created, rack.StatusCode);
        Assert.Equal("Rack", (string?)body["kind"]);
        Assert.Equal("fra1", (string?)body["spec"]!["site"]);
        Assert.Equal("ib-fra1-r01", (string?)body["spec"]!["infinibandLeaf"]);
        await refused.AssertProblemAsync(409, "has-dependents");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
    }

    [Fact]
    public async Task Rack_InAMissingSite_Answers422UnknownReference_AndWritesNothing()
    {
        var before = await Server.CountRowsAsync();

        var response = await Client.PostJsonAsync("/api/v1/racks", Rack("lost-r01", "atlantis"));

        var problem = await response.AssertProblemAsync(422, "validation-failed", "spec.site");
        Assert.Equal("unknown-reference", (string?)problem["errors"]![0]!["code"]);
        Assert.Equal(before, await Server.CountRowsAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await Client.GetAsync("/api/v1/racks/lost-r01", Ct)).StatusCode);
    }

    [Fact]
    public async Task Rack_MovedToAMissingSite_Answers422_AndKeepsItsSite()
    {
        await Client.PostJsonAsync("/api/v1/sites", Site("ams1"));
        await Client.PostJsonAsync("/api/v1/racks", Rack("ams1-r01", "ams1"));

        var response = await Client.PutJsonAsync("/api/v1/racks/ams1-r01", Rack("ams1-r01", "nowhere"));
        var current = await (await Client.GetAsync("/api/v1/racks/ams1-r01", Ct)).ReadAsync();

        await response.AssertProblemAsync(422, "validation-failed", "spec.site");
        Assert.Equal("ams1", (string?)current["spec"]!["site"]);
        Assert.Equal("1", (string?)current["metadata"]!["resourceVersion"]);
    }

    [Fact]
    public async Task Sku_IsCreated_WithItsHardwareShape()
    {
        var response = await Client.PostJsonAsync("/api/v1/skus",
            """{"metadata":{"name":"hgx-h100-8"},"spec":{"gpuModel":"H100-SXM5-80GB","gpus":8,"migCapable":true,"cpus":112,"memoryGiB":2048,"nics":2,"hcas":8}}""");
        var body = await response.ReadAsync();

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(8, (int)body["spec"]!["gpus"]!);
        Assert.True((bool)body["spec"]!["migCapable"]!);
        Assert.Equal(8, (int)body["spec"]!["hcas"]!);
    }

    [Fact]
    public async Task Sku_WithImpossibleShape_Answers422ForEachField()
    {
        var response = await Client.PostJsonAsync("/api/v1/skus",
            """{"metadata":{"name":"broken"},"spec":{"gpus":17,"migCapable":false,"cpus":0,"nics":-1}}""");

        var problem = await response.AssertProblemAsync(422, "validation-failed", "spec.gpuModel");
        var errors = problem["errors"]!.AsArray().Select(e => $"{e!["field"]}:{e["code"]}").Order().ToArray();
        Assert.Equal(["spec.cpus:out-of-range", "spec.gpuModel:required", "spec.gpus:out-of-range", "spec.memoryGiB:required", "spec.nics:out-of-range"], errors);
    }

    [Fact]
    public async Task MigCapableSku_WithoutGpus_IsRefused()
    {
        var response = await Client.PostJsonAsync("/api/v1/skus",
            """{"metadata":{"name":"cpu-only"},"spec":{"gpuModel":"none","gpus":0,"migCapable":true,"cpus":64,"memoryGiB":512}}""");

        await response.AssertProblemAsync(422, "validation-failed", "spec.migCapable");
    }

    private async Task SeedRackAndSkuAsync(string site)
    {
        await Client.PostJsonAsync("/api/v1/sites", Site(site));
        await Client.PostJsonAsync("/api/v1/racks", Rack($"{site}-r01", site));
        await Client.PostJsonAsync("/api/v1/skus", $$$"""{"metadata":{"name":"{{{site}}}-sku"},"spec":{"gpuModel":"H100-SXM5-80GB","gpus":8,"cpus":112,"memoryGiB":2048}}""");
    }

    private static string NodeBody(string name, string site, string address, string? password = "bmc-pa55")
    {
        var bmc = new System.Text.Json.Nodes.JsonObject { ["address"] = address, ["username"] = "admin" };
        if (password is not null)
        {
            bmc["password"] = password;
        }
        return new System.Text.Json.Nodes.JsonObject
        {
            ["metadata"] = new System.Text.Json.Nodes.JsonObject { ["name"] = name },
            ["spec"] = new System.Text.Json.Nodes.JsonObject { ["rack"] = $"{site}-r01", ["sku"] = $"{site}-sku", ["rackUnit"] = 4, ["bmc"] = bmc },
        }.ToJsonString();
    }

    [Fact]
    public async Task Node_IsEnrolled_WithItsPasswordSealed_AndNeverShown()
    {
        await SeedRackAndSkuAsync("nd1");

        var created = await Client.PostJsonAsync("/api/v1/nodes", NodeBody("nd1-n01", "nd1", "https://10.0.12.7"));
        var text = await (await Client.GetAsync("/api/v1/nodes/nd1-n01", Ct)).Content.ReadAsStringAsync(Ct);
        var body = System.Text.Json.Nodes.JsonNode.Parse(text)!;
        await using var scope = Server.Server.App.Services.CreateAsyncScope();
        var row = await scope.ServiceProvider.GetRequiredService<Dflare.Persistence.Store.DflareDbContext>().Nodes.SingleAsync(n => n.Name == "nd1-n01", Ct);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("Enrolled", (string?)body["status"]!["state"]);
        Assert.Equal("https://10.0.12.7", (string?)body["spec"]!["bmc"]!["address"]);
        Assert.DoesNotContain("bmc-pa55", text, StringComparison.Ordinal);
        Assert.Null(body["spec"]!["bmc"]!["password"]);
        Assert.StartsWith("v1:", row.BmcPasswordSealed, StringComparison.Ordinal);
        Assert.DoesNotContain("bmc-pa55", row.BmcPasswordSealed, StringComparison.Ordinal);
        var secrets = Server.Server.App.Services.GetRequiredService<Dflare.Core.Secrets.SecretProtector>();
        Assert.Equal("bmc-pa55", secrets.Open(Dflare.Core.Inventory.NodeKind.BmcPasswordPurpose, row.BmcPasswordSealed));
    }

    [Fact]
    public async Task Node_UpdatedWithoutPassword_KeepsItsPasswordAndVersion()
    {
        await SeedRackAndSkuAsync("nd2");
        var created = await Client.PostJsonAsync("/api/v1/nodes", NodeBody("nd2-n01", "nd2", "https://10.0.12.8"));

        var updated = await Client.PutJsonAsync("/api/v1/nodes/nd2-n01", NodeBody("nd2-n01", "nd2", "https://10.0.12.8", password: null));

        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        Assert.Equal(created.Headers.ETag, updated.Headers.ETag);
    }

    [Fact]
    public async Task Node_WithoutPasswordOnEnrolment_OrWithABadAddress_Answers422()
    {
        await SeedRackAndSkuAsync("nd3");

        var noPassword = await Client.PostJsonAsync("/api/v1/nodes", NodeBody("nd3-n01", "nd3", "https://10.0.12.9", password: null));
        var badAddress = await Client.PostJsonAsync("/api/v1/nodes", NodeBody("nd3-n02", "nd3", "ftp://10.0.12.9"));

        await noPassword.AssertProblemAsync(422, "validation-failed", "spec.bmc.password");
        await badAddress.AssertProblemAsync(422, "validation-failed", "spec.bmc.address");
    }

    [Fact]
    public async Task Node_InAMissingRack_Answers422_AndTwoNodesCannotShareABmc()
    {
        await SeedRackAndSkuAsync("nd4");
        var before = await Server.CountRowsAsync();

        var missingRack = await Client.PostJsonAsync("/api/v1/nodes", NodeBody("nd4-n01", "nowhere", "https://10.0.13.1"));
        Assert.Equal(before, await Server.CountRowsAsync());
        var first = await Client.PostJsonAsync("/api/v1/nodes", NodeBody("nd4-n02", "nd4", "https://10.0.13.2"));
        var sameBmc = await Client.PostJsonAsync("/api/v1/nodes", NodeBody("nd4-n03", "nd4", "https://10.0.13.2"));
        var rackInUse = await Client.DeleteAsync("/api/v1/racks/nd4-r01", Ct);

        await missingRack.AssertProblemAsync(422, "validation-failed", "spec.rack");
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        await sameBmc.AssertProblemAsync(409, "already-exists");
        await rackInUse.AssertProblemAsync(409, "has-dependents");
    }
}

public sealed class SqliteInventoryApiTests(SqliteServerFixture fixture) : InventoryApiTests(fixture), IClassFixture<SqliteServerFixture>;

public sealed class PostgresInventoryApiTests(PostgresServerFixture fixture) : InventoryApiTests(fixture), IClassFixture<PostgresServerFixture>;
