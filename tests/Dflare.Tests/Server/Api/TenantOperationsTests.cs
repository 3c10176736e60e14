using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Dflare.Tests.Infrastructure;

namespace Dflare.Tests.Server.Api;

/// <summary>Tenants follow the operations on their own clusters and volumes, and nothing else; userinfo says who a
/// token speaks for.</summary>
[Collection(FleetCollection.Name)]
public sealed class TenantOperationsTests(FleetWorld world)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<HttpClient> UserAsync(string tenant, string name, string role)
    {
        var admin = world.Cluster.Admin;
        Assert.Equal(HttpStatusCode.Created, (await admin.PostJsonAsync($"/api/v1/realms/{tenant}/users", $$"""{"name":"{{name}}","password":"a long passphrase here"}""")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await admin.PostJsonAsync($"/api/v1/realms/{tenant}/role-bindings",
            $$"""{"name":"{{name}}-{{role}}","subject":{"kind":"User","name":"{{name}}"},"role":"{{role}}"}""")).StatusCode);
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "password", ["client_id"] = "dflare-cli", ["username"] = name, ["password"] = "a long passphrase here",
        });
        var token = (string)(await (await world.Cluster.Server.Anonymous.PostAsync($"/realms/{tenant}/protocol/openid-connect/token", form, Ct)).ReadAsync())["access_token"]!;
        var client = world.Cluster.Server.CreateClient(null);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private async Task<string> VolumeOperationAsync(string tenant, string name)
    {
        await world.Cluster.CreatedAsync($"/api/v1/tenants/{tenant}/volumes", $"kind: Volume\nmetadata: {{ name: {name} }}\nspec: {{ project: research, backend: sim-lustre, sizeBytes: 1073741824 }}\n");
        var operations = await (await world.Cluster.Admin.GetAsync($"/api/v1/operations?target=volume/{tenant}/{name}", Ct)).ReadAsync();
        return (string)operations["items"]![0]!["metadata"]!["name"]!;
    }

    [Fact]
    public async Task ATenantSeesTheOperationsOnItsObjects_AndAnotherTenantsAreMissing()
    {
        await world.Cluster.TenantAsync("ops-a");
        await world.Cluster.TenantAsync("ops-b");
        var own = await VolumeOperationAsync("ops-a", "va");
        var other = await VolumeOperationAsync("ops-b", "vb");
        using var member = await UserAsync("ops-a", "mia", "member");

        var list = await (await member.GetAsync("/api/v1/tenants/ops-a/operations", Ct)).ReadAsync();
        Assert.Equal("OperationList", (string?)list["kind"]);
        Assert.Equal([own], list["items"]!.AsArray().Select(i => (string)i!["metadata"]!["name"]!));
        var one = await (await member.GetAsync($"/api/v1/tenants/ops-a/operations/{own}", Ct)).ReadAsync();
        Assert.Equal("provision-volume", (string?)one["spec"]!["workflow"]);
        Assert.NotEmpty((await (await member.GetAsync($"/api/v1/tenants/ops-a/operations/{own}/events", Ct)).ReadAsync()).AsArray());

        // Another tenant's operation answers exactly as a missing one, through either tenant's path.
        await (await member.GetAsync($"/api/v1/tenants/ops-a/operations/{other}", Ct)).AssertProblemAsync(404, "not-found");
        await (await member.GetAsync($"/api/v1/tenants/ops-a/operations/{other}/events", Ct)).AssertProblemAsync(404, "not-found");
        await (await member.GetAsync($"/api/v1/tenants/ops-b/operations/{other}", Ct)).AssertProblemAsync(404, "not-found");
        await (await member.GetAsync($"/api/v1/tenants/ops-a/operations/not-a-guid", Ct)).AssertProblemAsync(404, "not-found");
        // The operators' list stays theirs.
        await (await member.GetAsync("/api/v1/operations", Ct)).AssertProblemAsync(403, "forbidden");
        // Operators read a tenant's view too.
        Assert.Single((await (await world.Cluster.Admin.GetAsync("/api/v1/tenants/ops-b/operations", Ct)).ReadAsync())["items"]!.AsArray());
    }

    [Fact]
    public async Task WhoMayNotReadTheObject_DoesNotSeeItsOperations()
    {
        await world.Cluster.TenantAsync("ops-c");
        var operation = await VolumeOperationAsync("ops-c", "vc");
        using var billing = await UserAsync("ops-c", "bill", "billing-viewer");
        Assert.Empty((await (await billing.GetAsync("/api/v1/tenants/ops-c/operations", Ct)).ReadAsync())["items"]!.AsArray());
        await (await billing.GetAsync($"/api/v1/tenants/ops-c/operations/{operation}", Ct)).AssertProblemAsync(404, "not-found");
    }

    [Fact]
    public async Task UserInfo_SaysWhoATokenSpeaksFor_InItsOwnRealmOnly()
    {
        await world.Cluster.TenantAsync("who");
        using var viewer = await UserAsync("who", "vic", "viewer");
        var me = await (await viewer.GetAsync("/realms/who/protocol/openid-connect/userinfo", Ct)).ReadAsync();
        Assert.Equal("vic", (string?)me["preferred_username"]);
        Assert.Equal("who", (string?)me["tenant"]);
        Assert.Equal(["viewer"], me["roles"]!.AsArray().Select(r => (string)r!));

        var elsewhere = await viewer.GetAsync("/realms/platform/protocol/openid-connect/userinfo", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, elsewhere.StatusCode);
        Assert.Equal("invalid_token", (string?)(await elsewhere.ReadAsync())["error"]);
        Assert.Contains("invalid_token", elsewhere.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, (await world.Cluster.Server.Anonymous.GetAsync("/realms/who/protocol/openid-connect/userinfo", Ct)).StatusCode);

        var admin = await (await world.Cluster.Admin.GetAsync("/realms/platform/protocol/openid-connect/userinfo", Ct)).ReadAsync();
        Assert.Null((string?)admin["tenant"]);
        Assert.Contains("platform-admin", admin["roles"]!.AsArray().Select(r => (string)r!));
        var discovery = await (await world.Cluster.Server.Anonymous.GetAsync("/realms/who/.well-known/openid-configuration", Ct)).ReadAsync();
        Assert.EndsWith("/realms/who/protocol/openid-connect/userinfo", (string)discovery["userinfo_endpoint"]!, StringComparison.Ordinal);
    }
}
