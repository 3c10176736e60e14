using System.Net;
using Dflare.Server.Portal;
using Dflare.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Dflare.Tests.Portal;

/// <summary>A page and its live progress refreshing one session at the same moment must not look like a replayed
/// refresh token (which revokes the whole sign-in): they share one refresh.</summary>
[Collection(FleetCollection.Name)]
public sealed class PortalTokenRefresherTests(FleetWorld world)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ConcurrentRefreshesOfOneSession_ShareOneRotation_AndTheSessionLivesOn()
    {
        await world.Cluster.TenantAsync("refresh");
        Assert.Equal(HttpStatusCode.Created, (await world.Cluster.Admin.PostJsonAsync("/api/v1/realms/refresh/users", """{"name":"rui","password":"a long passphrase here"}""")).StatusCode);
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "password", ["client_id"] = "dflare-portal", ["username"] = "rui", ["password"] = "a long passphrase here",
        });
        var first = (string)(await (await world.Cluster.Server.Anonymous.PostAsync("/realms/refresh/protocol/openid-connect/token", form, Ct)).ReadAsync())["refresh_token"]!;
        var refresher = world.Cluster.Server.Server.App.Services.GetRequiredService<PortalTokenRefresher>();

        var together = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => refresher.RefreshAsync("refresh", first)));
        Assert.Single(together.Select(t => t.RefreshToken).Distinct());
        // Had any of those eight been a second use, the realm would have revoked the family: the new token still works.
        var next = await refresher.RefreshAsync("refresh", together[0].RefreshToken!);
        Assert.NotEqual(together[0].RefreshToken, next.RefreshToken);
        Assert.NotEmpty(next.AccessToken);
    }
}
