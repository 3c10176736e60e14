using System.Net;
using Dflare.Core.Identity;
using Dflare.Tests.Infrastructure;

namespace Dflare.Tests.Identity;

/// <summary>The same identity paths on PostgreSQL: sign-in, refresh rotation, the audit chain under concurrent writes.</summary>
public sealed class IdentityOnPostgresTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SignIn_Refresh_AndAnIntactAuditChain_UnderConcurrentWrites()
    {
        await using var world = await IdentityWorld.StartAsync(await StoreTarget.PostgresAsync());
        await world.CreateTenantAsync("acme");
        await world.CreateUserAsync("acme", "ada", BuiltInRoles.TenantAdmin);
        var tokens = await world.PasswordGrantAsync("acme", "ada");
        var refreshed = await world.TokenAsync("acme", new() { ["grant_type"] = "refresh_token", ["client_id"] = "dflare-cli", ["refresh_token"] = (string)tokens["refresh_token"]! });
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        var replay = await world.TokenAsync("acme", new() { ["grant_type"] = "refresh_token", ["client_id"] = "dflare-cli", ["refresh_token"] = (string)tokens["refresh_token"]! });
        Assert.Equal("invalid_grant", (string)(await replay.ReadAsync())["error"]!);

        using var ada = world.ClientWith((string)(await refreshed.ReadAsync())["access_token"]!);
        var writes = Enumerable.Range(0, 20).Select(i => ada.PostJsonAsync("/api/v1/tenants/acme/projects", Json.Project($"p{i}")));
        Assert.All(await Task.WhenAll(writes), r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));

        var verification = await (await world.Admin.PostAsync("/api/v1/audit/verify", null, Ct)).ReadAsync();
        Assert.True((bool)verification["intact"]!, verification.ToJsonString());
        var entries = await (await world.Admin.GetAsync("/api/v1/audit?tenant=acme&limit=500", Ct)).ReadAsync();
        Assert.Equal(20, entries["items"]!.AsArray().Count(e => (string)e!["action"]! == "POST /api/v1/tenants/acme/projects"));
    }
}
