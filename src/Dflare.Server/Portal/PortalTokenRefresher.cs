using System.Collections.Concurrent;
using Dflare.Client.Identity;

namespace Dflare.Server.Portal;

/// <summary>
/// Refreshes portal sessions' tokens once per refresh token. Refresh tokens rotate and a second use of one revokes the
/// whole sign-in (a replay, as far as the realm can tell), while a page and its live progress often ask at the same
/// moment; so concurrent and later requests presenting the same refresh token share one refresh and its result.
/// Results are kept for the longest access-token life, then forgotten.
/// </summary>
internal sealed class PortalTokenRefresher(IHttpClientFactory clients, TimeProvider time)
{
    private static readonly TimeSpan Keep = TimeSpan.FromMinutes(60);
    private readonly ConcurrentDictionary<string, (Lazy<Task<TokenSet>> Refresh, DateTimeOffset At)> _refreshes = new(StringComparer.Ordinal);

    public async Task<TokenSet> RefreshAsync(string realm, string refreshToken)
    {
        var now = time.GetUtcNow();
        foreach (var old in _refreshes.Where(r => now - r.Value.At > Keep).Select(r => r.Key).ToList())
        {
            _refreshes.TryRemove(old, out _);
        }
        var key = Dflare.Core.Identity.TokenService.HashSecret(refreshToken);
        var entry = _refreshes.GetOrAdd(key, _ => (new Lazy<Task<TokenSet>>(() => RunAsync(realm, refreshToken)), now));
        try
        {
            return await entry.Refresh.Value;
        }
        catch
        {
            _refreshes.TryRemove(key, out _); // a failed refresh is not remembered: the next request finds out for itself
            throw;
        }
    }

    // Not tied to one request: the refresh serves every request waiting for it.
    private Task<TokenSet> RunAsync(string realm, string refreshToken)
    {
        var http = clients.CreateClient(PortalServices.ApiClient);
        return TokenRefresh.RunAsync(http, new Uri(http.BaseAddress!, $"realms/{realm}"), PortalServices.ClientId, refreshToken, time.GetUtcNow(), CancellationToken.None);
    }
}
