using System.Net;
using Dflare.Core.Identity;
using Dflare.Tests.Infrastructure;

namespace Dflare.Tests.Identity;

/// <summary>
/// A realm trusting an external OpenID provider. The provider here is a second, independent control plane (its realm
/// <c>corp</c> issues ordinary OIDC access tokens with a <c>groups</c> claim), reached over real HTTP for its discovery
/// document and keys.
/// </summary>
public sealed class FederationTests : IAsyncLifetime
{
    private IdentityWorld _provider = null!;
    private IdentityWorld _world = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string ProviderIssuer => $"{_provider.Server.Server.BaseAddress.ToString().TrimEnd('/')}/realms/corp";

    public async ValueTask InitializeAsync()
    {
        _provider = await IdentityWorld.StartAsync();
        await _provider.CreateTenantAsync("corp");
        await _provider.CreateUserAsync("corp", "eve", null, null, "ml-team", "finance");
        await _provider.CreateUserAsync("corp", "fred", null, null, "finance");

        _world = await IdentityWorld.StartAsync(settings: new Dictionary<string, string?> { ["Identity:AllowHttpFederation"] = "true" });
        await _world.CreateTenantAsync("acme", "research");
        await _world.CreateTenantAsync("globex", "lab");
        await _world.BindAsync("acme", "researchers-member", "Group", "researchers", BuiltInRoles.Member);
        await FederateAsync("acme", "dflare-api");
    }

    public async ValueTask DisposeAsync()
    {
        await _world.DisposeAsync();
        await _provider.DisposeAsync();
    }

    [Fact]
    public async Task TheProvidersTokens_AreAcceptedForThatRealm_WithMappedGroups()
    {
        using var eve = _world.ClientWith(await _provider.AccessTokenAsync("corp", "eve"));

        Assert.Equal(HttpStatusCode.OK, (await eve.GetAsync("/api/v1/tenants/acme/projects", Ct)).StatusCode);
        await (await eve.GetAsync("/api/v1/tenants/globex/projects", Ct)).AssertProblemAsync(404, "not-found");
        await (await eve.PostJsonAsync("/api/v1/tenants/acme/projects", Json.Project("eves"))).AssertProblemAsync(403, "forbidden");
        var audit = await (await _world.Admin.GetAsync("/api/v1/audit?tenant=acme&limit=500", Ct)).ReadAsync();
        Assert.Contains(audit["items"]!.AsArray(), e => (string)e!["actor"]! == "acme/federated:eve");
    }

    [Fact]
    public async Task UnmappedGroups_GrantNothing()
    {
        using var fred = _world.ClientWith(await _provider.AccessTokenAsync("corp", "fred"));
        await (await fred.GetAsync("/api/v1/tenants/acme/projects", Ct)).AssertProblemAsync(403, "forbidden");
    }

    [Fact]
    public async Task TheProvidersTokens_ForAnotherAudience_OrFromAnotherOfItsRealms_Are401()
    {
        await FederateAsync("acme", "some-other-client");
        using var eve = _world.ClientWith(await _provider.AccessTokenAsync("corp", "eve"));
        await (await eve.GetAsync("/api/v1/tenants/acme/projects", Ct)).AssertProblemAsync(401, "unauthenticated");

        await FederateAsync("acme", "dflare-api");
        await _provider.CreateUserAsync(Realms.Platform, "root", BuiltInRoles.PlatformAdmin);
        using var root = _world.ClientWith(await _provider.AccessTokenAsync(Realms.Platform, "root"));
        await (await root.GetAsync("/api/v1/tenants/acme/projects", Ct)).AssertProblemAsync(401, "unauthenticated");
    }

    [Fact]
    public async Task AnIssuer_IsTrustedByOneRealmAtMost_AndRemovingTheTrustEndsIt()
    {
        var second = await _world.Admin.PutJsonAsync("/api/v1/realms/globex/federation", $$"""{"issuer":"{{ProviderIssuer}}","clientId":"dflare-api"}""");
        await second.AssertProblemAsync(409, "already-exists");

        var token = await _provider.AccessTokenAsync("corp", "eve");
        Assert.Equal(HttpStatusCode.NoContent, (await _world.Admin.DeleteAsync("/api/v1/realms/acme/federation", Ct)).StatusCode);
        using var eve = _world.ClientWith(token);
        await (await eve.GetAsync("/api/v1/tenants/acme/projects", Ct)).AssertProblemAsync(401, "unauthenticated");
    }

    [Fact]
    public async Task AFederationOfOurOwnIssuer_OrOfPlainHttpWithoutTheLabSwitch_IsRefused()
    {
        var own = $"{_world.Server.Server.BaseAddress.ToString().TrimEnd('/')}/realms/globex";
        await (await _world.Admin.PutJsonAsync("/api/v1/realms/acme/federation", $$"""{"issuer":"{{own}}","clientId":"x"}"""))
            .AssertProblemAsync(422, "validation-failed", "issuer");
        await using var strict = await IdentityWorld.StartAsync();
        await strict.CreateTenantAsync("acme");
        await (await strict.Admin.PutJsonAsync("/api/v1/realms/acme/federation", $$"""{"issuer":"{{ProviderIssuer}}","clientId":"x"}"""))
            .AssertProblemAsync(422, "validation-failed", "issuer");
    }

    private async Task FederateAsync(string realm, string clientId)
    {
        var response = await _world.Admin.PutJsonAsync($"/api/v1/realms/{realm}/federation",
            $$$"""{"issuer":"{{{ProviderIssuer}}}","clientId":"{{{clientId}}}","groupMapping":{"ml-team":"researchers"}}""");
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Ct));
    }
}
