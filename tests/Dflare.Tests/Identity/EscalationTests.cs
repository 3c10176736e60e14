using System.Net;
using Dflare.Core.Identity;
using Dflare.Tests.Infrastructure;

namespace Dflare.Tests.Identity;

/// <summary>Nobody hands out more than they hold, and a tenant cannot bind the operators.</summary>
public sealed class EscalationTests : IAsyncLifetime
{
    private IdentityWorld _world = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _world = await IdentityWorld.StartAsync();
        await _world.CreateTenantAsync("acme", "research");
        await _world.CreateTenantAsync("globex");
        Assert.Equal(HttpStatusCode.Created, (await _world.Admin.PostJsonAsync("/api/v1/realms/acme/roles",
            """{"name":"account-manager","permissions":["identity.manage","identity.read","tenants.read"]}""")).StatusCode);
        await _world.CreateUserAsync("acme", "mia", "account-manager");
        await _world.CreateUserAsync("acme", "ada", BuiltInRoles.TenantAdmin);
        await _world.BindAsync("acme", "admins-are-admins", "Group", "admins", BuiltInRoles.TenantAdmin);
    }

    public async ValueTask DisposeAsync() => await _world.DisposeAsync();

    [Fact]
    public async Task IdentityManageAlone_CannotMakeItsHolderATenantAdmin()
    {
        using var mia = await _world.SignInAsync("acme", "mia");
        var bind = await mia.PostJsonAsync("/api/v1/realms/acme/role-bindings", """{"name":"mia-up","subject":{"kind":"User","name":"mia"},"role":"tenant-admin"}""");
        var problem = await bind.AssertProblemAsync(403, "forbidden");
        Assert.Contains("which you do not hold there yourself", (string)problem["detail"]!, StringComparison.Ordinal);
        await (await mia.PutJsonAsync("/api/v1/realms/acme/users/mia/groups", """{"groups":["admins"]}""")).AssertProblemAsync(403, "forbidden");
        await (await mia.PostJsonAsync("/api/v1/realms/acme/users", $$"""{"name":"sock","password":"{{IdentityWorld.Password}}","groups":["admins"]}"""))
            .AssertProblemAsync(403, "forbidden");
        await (await mia.PostJsonAsync("/api/v1/realms/acme/roles", """{"name":"more","permissions":["projects.delete"]}""")).AssertProblemAsync(403, "forbidden");
        await (await mia.PostJsonAsync("/api/v1/realms/acme/policies", """
            {"name":"more","effect":"Allow","permissions":["projects.create"],"conditions":[{"attribute":"subject.name","operator":"In","values":["mia"]}]}
            """)).AssertProblemAsync(403, "forbidden");
        // What mia does hold, she may hand out.
        Assert.Equal(HttpStatusCode.Created, (await mia.PostJsonAsync("/api/v1/realms/acme/role-bindings",
            """{"name":"ada-am","subject":{"kind":"User","name":"ada"},"role":"account-manager"}""")).StatusCode);
        using var ada = await _world.SignInAsync("acme", "ada");
        Assert.Equal(HttpStatusCode.OK, (await ada.PutJsonAsync("/api/v1/realms/acme/users/mia/groups", """{"groups":["admins"]}""")).StatusCode);
    }

    [Fact]
    public async Task ATenantsDenyPolicy_NeverBindsTheOperators()
    {
        using var ada = await _world.SignInAsync("acme", "ada");
        Assert.Equal(HttpStatusCode.Created, (await ada.PostJsonAsync("/api/v1/realms/acme/policies", """
            {"name":"lock-out","effect":"Deny","permissions":["*"],"conditions":[{"attribute":"subject.realm","operator":"In","values":["platform"]}]}
            """)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _world.Admin.GetAsync("/api/v1/tenants/acme/projects", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await _world.Admin.PostJsonAsync("/api/v1/tenants/acme/projects", Json.Project("ops-made"))).StatusCode);
    }

    [Fact]
    public async Task AProbeOfAnotherTenant_IsRecordedInTheProbersLog_NotTheTargets()
    {
        using var ada = await _world.SignInAsync("acme", "ada");
        await (await ada.GetAsync("/api/v1/tenants/globex/projects", Ct)).AssertProblemAsync(404, "not-found");
        var entries = (await (await _world.Admin.GetAsync("/api/v1/audit?limit=500", Ct)).ReadAsync())["items"]!.AsArray();
        var probe = Assert.Single(entries, e => (string)e!["action"]! == "GET /api/v1/tenants/globex/projects");
        Assert.Equal("acme", (string?)probe!["tenant"]);
        Assert.Equal("denied", (string)probe["decision"]!);
    }

    [Fact]
    public async Task SettingAFederation_IsForOperators()
    {
        using var ada = await _world.SignInAsync("acme", "ada");
        await (await ada.PutJsonAsync("/api/v1/realms/acme/federation", """{"issuer":"https://login.example.com","clientId":"x"}"""))
            .AssertProblemAsync(403, "forbidden");
    }
}
