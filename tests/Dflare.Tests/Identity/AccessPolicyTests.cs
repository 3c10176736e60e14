using System.Net;
using Dflare.Core.Identity;
using Dflare.Tests.Infrastructure;

namespace Dflare.Tests.Identity;

/// <summary>Attribute policies next to roles: a matching deny wins over any role; an allow grants what no role does.</summary>
public sealed class AccessPolicyTests : IAsyncLifetime
{
    private IdentityWorld _world = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _world = await IdentityWorld.StartAsync();
        await _world.CreateTenantAsync("acme", "research");
        await _world.CreateTenantAsync("globex");
        await _world.CreateUserAsync("acme", "ada", BuiltInRoles.TenantAdmin, null, "interns");
        await _world.CreateUserAsync("acme", "bob", BuiltInRoles.TenantAdmin);
        await _world.CreateUserAsync("acme", "val", BuiltInRoles.Viewer, null, "project-leads");
    }

    public async ValueTask DisposeAsync() => await _world.DisposeAsync();

    [Fact]
    public async Task RequestIp_IsTheClientsAddress_AsALocalProxySaysIt()
    {
        // The portal (and a TLS proxy on the host) forward the browser's address; only loopback is believed.
        await CreatePolicyAsync("acme", """
            {"name":"not-from-there","effect":"Deny","permissions":["projects.read"],
             "conditions":[{"attribute":"request.ip","operator":"In","values":["203.0.113.9"]}]}
            """);
        using var bob = await _world.SignInAsync("acme", "bob");
        Assert.Equal(HttpStatusCode.OK, (await bob.GetAsync("/api/v1/tenants/acme/projects", Ct)).StatusCode);
        using var forwarded = new HttpRequestMessage(HttpMethod.Get, "/api/v1/tenants/acme/projects");
        forwarded.Headers.TryAddWithoutValidation("X-Forwarded-For", "203.0.113.9");
        var body = await (await bob.SendAsync(forwarded, Ct)).AssertProblemAsync(403, "forbidden");
        Assert.Contains("not-from-there", (string)body["detail"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADenyPolicy_WinsOverARole()
    {
        await CreatePolicyAsync("acme", """
            {"name":"no-interns-creating","effect":"Deny","permissions":["projects.create"],
             "conditions":[{"attribute":"subject.groups","operator":"In","values":["interns"]}]}
            """);
        using var ada = await _world.SignInAsync("acme", "ada");
        using var bob = await _world.SignInAsync("acme", "bob");

        var refused = await ada.PostJsonAsync("/api/v1/tenants/acme/projects", Json.Project("ada-project"));
        var body = await refused.AssertProblemAsync(403, "forbidden");
        Assert.Contains("no-interns-creating", (string)body["detail"]!, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Created, (await bob.PostJsonAsync("/api/v1/tenants/acme/projects", Json.Project("bob-project"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ada.GetAsync("/api/v1/tenants/acme/projects", Ct)).StatusCode); // other permissions untouched
    }

    [Fact]
    public async Task AnAllowPolicy_GrantsWhatNoRoleDoes_OnlyWhileItsConditionsHold()
    {
        using var val = await _world.SignInAsync("acme", "val");
        await (await val.PostJsonAsync("/api/v1/tenants/acme/projects", Json.Project("val-1"))).AssertProblemAsync(403, "forbidden");

        await CreatePolicyAsync("acme", """
            {"name":"leads-create-projects","effect":"Allow","permissions":["projects.create"],
             "conditions":[{"attribute":"subject.groups","operator":"In","values":["project-leads"]},
                           {"attribute":"request.method","operator":"In","values":["POST"]}]}
            """);
        Assert.Equal(HttpStatusCode.Created, (await val.PostJsonAsync("/api/v1/tenants/acme/projects", Json.Project("val-2"))).StatusCode);
        // A condition that cannot hold (no hour is 25) keeps a policy from matching.
        await CreatePolicyAsync("acme", """
            {"name":"never","effect":"Deny","permissions":["*"],"conditions":[{"attribute":"request.hour","operator":"In","values":["25"]}]}
            """);
        Assert.Equal(HttpStatusCode.Created, (await val.PostJsonAsync("/api/v1/tenants/acme/projects", Json.Project("val-3"))).StatusCode);
    }

    [Fact]
    public async Task ATenantsPolicy_CannotReachAnotherTenant_OrGrantOperatorPermissions()
    {
        // Allow everything to everyone, as far as acme's realm can say: still nothing of globex's, nothing of the platform's.
        var wide = await _world.Admin.PostJsonAsync("/api/v1/realms/acme/policies", """
            {"name":"everything","effect":"Allow","permissions":["inventory.write"],
             "conditions":[{"attribute":"subject.realm","operator":"In","values":["acme"]}]}
            """);
        await wide.AssertProblemAsync(422, "validation-failed", "permissions[0]");
        await CreatePolicyAsync("acme", """
            {"name":"all-projects","effect":"Allow","permissions":["projects.read","projects.create"],
             "conditions":[{"attribute":"subject.realm","operator":"In","values":["acme"]}]}
            """);
        using var val = await _world.SignInAsync("acme", "val");
        await (await val.GetAsync("/api/v1/tenants/globex/projects", Ct)).AssertProblemAsync(404, "not-found");
        await (await val.GetAsync("/api/v1/nodes", Ct)).AssertProblemAsync(403, "forbidden");
    }

    [Fact]
    public async Task APolicy_CanSpeakOfTheObjectsLabels()
    {
        await CreatePolicyAsync("acme", """
            {"name":"protected-projects","effect":"Deny","permissions":["projects.delete","projects.update"],
             "conditions":[{"attribute":"resource.labels.protected","operator":"In","values":["true"]}]}
            """);
        Assert.Equal(HttpStatusCode.Created, (await _world.Admin.PostJsonAsync("/api/v1/tenants/acme/projects",
            """{"metadata":{"name":"keep","labels":{"protected":"true"}},"spec":{}}""")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await _world.Admin.PostJsonAsync("/api/v1/tenants/acme/projects", Json.Project("scratch"))).StatusCode);
        using var bob = await _world.SignInAsync("acme", "bob");

        var refused = await (await bob.DeleteAsync("/api/v1/tenants/acme/projects/keep", Ct)).AssertProblemAsync(403, "forbidden");
        Assert.Contains("protected-projects", (string)refused["detail"]!, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NoContent, (await bob.DeleteAsync("/api/v1/tenants/acme/projects/scratch", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await bob.GetAsync("/api/v1/tenants/acme/projects/keep", Ct)).StatusCode);
    }

    [Fact]
    public async Task BadPolicies_AreRefused_FieldByField_AndNothingIsStored()
    {
        var response = await _world.Admin.PostJsonAsync("/api/v1/realms/acme/policies", """
            {"name":"Bad Name","effect":"Maybe","permissions":["clusters.explode"],
             "conditions":[{"attribute":"weather","operator":"Roughly","values":[]}]}
            """);
        var problem = await response.AssertProblemAsync(422, "validation-failed");
        var fields = problem["errors"]!.AsArray().Select(e => (string)e!["field"]!).ToList();
        Assert.Equal(["name", "effect", "permissions[0]", "conditions[0].attribute", "conditions[0].operator"], fields);
        var list = await (await _world.Admin.GetAsync("/api/v1/realms/acme/policies", Ct)).ReadAsync();
        Assert.Empty(list["items"]!.AsArray());
    }

    private async Task CreatePolicyAsync(string realm, string json)
    {
        var response = await _world.Admin.PostJsonAsync($"/api/v1/realms/{realm}/policies", json);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync(Ct));
    }
}
