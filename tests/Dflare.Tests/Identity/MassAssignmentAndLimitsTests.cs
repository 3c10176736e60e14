using System.Net;
using Dflare.Core.Identity;
using Dflare.Tests.Infrastructure;

namespace Dflare.Tests.Identity;

/// <summary>
/// A client cannot set what the server owns (the tenant, status, the realm, the kind of an account), and a tenant or
/// a credential that sends too much is slowed down with 429 and Retry-After.
/// </summary>
public sealed class MassAssignmentAndLimitsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ServerOwnedFields_InABody_AreRefusedOrIgnored_NeverStored()
    {
        await using var world = await IdentityWorld.StartAsync();
        await world.CreateTenantAsync("acme");
        await world.CreateTenantAsync("globex");
        await world.CreateUserAsync("acme", "ada", BuiltInRoles.TenantAdmin);
        using var ada = await world.SignInAsync("acme", "ada");

        // Another tenant in the body is refused; the status of a project is the server's, and ignored.
        await (await ada.PostJsonAsync("/api/v1/tenants/acme/projects", """{"metadata":{"name":"p1","tenant":"globex"},"spec":{}}"""))
            .AssertProblemAsync(422, "validation-failed", "metadata.tenant");
        var created = await ada.PostJsonAsync("/api/v1/tenants/acme/projects",
            """{"metadata":{"name":"p1","tenant":"acme"},"spec":{"displayName":"P"},"status":{"phase":"Deleted"}}""");
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync(Ct));
        var project = await (await ada.GetAsync("/api/v1/tenants/acme/projects/p1", Ct)).ReadAsync();
        Assert.Equal("acme", (string)project["metadata"]!["tenant"]!);
        Assert.Equal("Active", (string)project["status"]!["phase"]!);
        await (await world.Admin.GetAsync("/api/v1/tenants/globex/projects/p1", Ct)).AssertProblemAsync(404, "not-found");

        // Fields an account or a binding does not have are refused, each by path.
        await (await ada.PostJsonAsync("/api/v1/realms/acme/users", """{"name":"eve","password":"a long enough password","realm":"platform"}"""))
            .AssertProblemAsync(400, "unknown-field", "realm");
        await (await ada.PostJsonAsync("/api/v1/realms/acme/users", """{"name":"eve","password":"a long enough password","kind":"ServiceAccount","disabled":false}"""))
            .AssertProblemAsync(400, "unknown-field", "kind");
        await (await ada.PostJsonAsync("/api/v1/realms/acme/role-bindings", """{"name":"b","subject":{"kind":"User","name":"ada"},"role":"tenant-admin","tenant":"globex"}"""))
            .AssertProblemAsync(400, "unknown-field", "tenant");
        // A tenant-admin cannot hand out the operator's role, nor bind in another realm.
        await (await ada.PostJsonAsync("/api/v1/realms/acme/role-bindings", """{"name":"b","subject":{"kind":"User","name":"ada"},"role":"platform-admin"}"""))
            .AssertProblemAsync(422, "validation-failed", "role");
        await (await ada.PostJsonAsync("/api/v1/realms/globex/role-bindings", """{"name":"b","subject":{"kind":"Group","name":"x"},"role":"viewer"}"""))
            .AssertProblemAsync(404, "not-found");
        await (await ada.PostJsonAsync("/api/v1/realms/acme/roles", """{"name":"ops","permissions":["inventory.write"]}"""))
            .AssertProblemAsync(422, "validation-failed", "permissions[0]");
        var users = await (await ada.GetAsync("/api/v1/realms/acme/users", Ct)).ReadAsync();
        Assert.Equal(["ada"], users["items"]!.AsArray().Select(u => (string)u!["name"]!));
    }

    [Fact]
    public async Task ACredential_OverItsLimit_Gets429WithRetryAfter_AndOthersAreUnaffected()
    {
        await using var world = await IdentityWorld.StartAsync(settings: new Dictionary<string, string?> { ["Api:TokenRequestsPerMinute"] = "3" });
        await world.CreateTenantAsync("acme");
        await world.CreateUserAsync("acme", "ada", BuiltInRoles.Viewer);
        using var first = await world.SignInAsync("acme", "ada");
        using var second = await world.SignInAsync("acme", "ada");

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await first.GetAsync("/api/v1/tenants/acme", Ct)).StatusCode);
        }
        var limited = await first.GetAsync("/api/v1/tenants/acme", Ct);
        await limited.AssertProblemAsync(429, "rate-limited");
        Assert.True(int.Parse(limited.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture) is > 0 and <= 60);
        Assert.Equal(HttpStatusCode.OK, (await second.GetAsync("/api/v1/tenants/acme", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await world.Server.Anonymous.GetAsync("/healthz", Ct)).StatusCode); // probes are never limited
    }

    [Fact]
    public async Task ATenant_OverItsLimit_Gets429_ForEveryCredentialOfIt_WhileOtherTenantsGoOn()
    {
        await using var world = await IdentityWorld.StartAsync(settings: new Dictionary<string, string?> { ["Api:TenantRequestsPerMinute"] = "12" });
        await world.CreateTenantAsync("acme");
        await world.CreateTenantAsync("globex");
        await world.CreateUserAsync("acme", "ada", BuiltInRoles.Viewer);
        await world.CreateUserAsync("globex", "gus", BuiltInRoles.Viewer);
        using var ada = await world.SignInAsync("acme", "ada");
        using var ada2 = await world.SignInAsync("acme", "ada");
        using var gus = await world.SignInAsync("globex", "gus");

        for (var i = 0; i < 6; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await ada.GetAsync("/api/v1/tenants/acme", Ct)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await ada2.GetAsync("/api/v1/tenants/acme", Ct)).StatusCode);
        }
        await (await ada2.GetAsync("/api/v1/tenants/acme", Ct)).AssertProblemAsync(429, "rate-limited");
        Assert.Equal(HttpStatusCode.OK, (await gus.GetAsync("/api/v1/tenants/globex", Ct)).StatusCode);
    }
}
