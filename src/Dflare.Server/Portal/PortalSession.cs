using System.Security.Claims;
using Dflare.Client.Api;
using Dflare.Client.Identity;
using Dflare.Core.Identity;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Dflare.Server.Portal;

/// <summary>
/// The person signed in to the portal, and an API client that acts as them: the portal reads and writes only through
/// the public API with their own token, so it can show and do nothing they could not do with <c>curl</c>. Tokens live
/// in the sign-in cookie (encrypted by Data Protection); an expiring access token is refreshed and the cookie renewed.
/// </summary>
public sealed class PortalSession
{
    public const string Scheme = "Portal";
    public const string TenantCookie = "dflare_tenant";
    internal const string AccessTokenItem = "access_token";
    internal const string RefreshTokenItem = "refresh_token";
    internal const string ExpiresAtItem = "expires_at";
    internal const string StaticTokenItem = "static_token";

    private PortalSession(string realm, string name, string? ownTenant, string? tenant, DflareClient api)
    {
        Realm = realm;
        Name = name;
        OwnTenant = ownTenant;
        Tenant = tenant;
        Api = api;
    }

    public string Realm { get; }

    public string Name { get; }

    /// <summary>The tenant whose realm the person signed in to; null for operators.</summary>
    public string? OwnTenant { get; }

    /// <summary>The tenant pages show: the person's own, or the one an operator picked (null until they pick).</summary>
    public string? Tenant { get; }

    public bool IsOperator => OwnTenant is null;

    public DflareClient Api { get; }

    /// <summary>The session of the request's portal cookie; null when nobody is signed in.</summary>
    public static async Task<PortalSession?> OpenAsync(HttpContext http)
    {
        if (http.Items[typeof(PortalSession)] is PortalSession cached)
        {
            return cached;
        }
        var result = await http.AuthenticateAsync(Scheme);
        if (!result.Succeeded || result.Properties is not { } properties)
        {
            return null;
        }
        var user = result.Principal!;
        var realm = user.FindFirstValue(AccessSubject.RealmClaim) ?? Realms.Platform;
        var own = Realms.TenantOf(realm);
        var picked = http.Request.Query["tenant"].ToString() is { Length: > 0 } asked && Realms.IsValidName(asked) ? asked
            : http.Request.Cookies[TenantCookie] is { Length: > 0 } remembered && Realms.IsValidName(remembered) ? remembered : null;
        var services = http.RequestServices;
        var client = new DflareClient(PortalServices.ApiFor(http),
            Credential(http, user, properties, realm, services.GetRequiredService<TimeProvider>()), services.GetRequiredService<TimeProvider>());
        var session = new PortalSession(realm, user.FindFirstValue(AccessSubject.NameClaim) ?? "", own, own ?? picked, client);
        http.Items[typeof(PortalSession)] = session;
        return session;
    }

    private static ICredential Credential(HttpContext http, ClaimsPrincipal user, AuthenticationProperties properties, string realm, TimeProvider time)
    {
        if (properties.Items.TryGetValue(StaticTokenItem, out var token) && token is not null)
        {
            return new StaticCredential(token);
        }
        var expires = DateTimeOffset.TryParse(properties.GetString(ExpiresAtItem), System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.None, out var at) ? at : DateTimeOffset.MinValue;
        var tokens = new TokenSet(properties.GetString(AccessTokenItem) ?? "", properties.GetString(RefreshTokenItem), expires);
        return new SessionCredential(tokens, realm, http.RequestServices.GetRequiredService<PortalTokenRefresher>(), time, async renewed =>
        {
            Store(properties, renewed);
            if (!http.Response.HasStarted)
            {
                await http.SignInAsync(Scheme, user, properties);
            }
        });
    }

    /// <summary>The session's access token, refreshed (once for all concurrent requests) shortly before it expires.</summary>
    private sealed class SessionCredential(TokenSet tokens, string realm, PortalTokenRefresher refresher, TimeProvider time, Func<TokenSet, Task> renewed) : ICredential
    {
        private TokenSet _tokens = tokens;

        public async ValueTask<string> TokenAsync(HttpClient http, bool refresh, CancellationToken cancellationToken)
        {
            if ((refresh || _tokens.ExpiresAt - TimeSpan.FromSeconds(30) <= time.GetUtcNow()) && _tokens.RefreshToken is { } refreshToken)
            {
                _tokens = await refresher.RefreshAsync(realm, refreshToken);
                await renewed(_tokens);
            }
            return _tokens.AccessToken;
        }
    }

    internal static void Store(AuthenticationProperties properties, TokenSet tokens)
    {
        properties.SetString(AccessTokenItem, tokens.AccessToken);
        properties.SetString(RefreshTokenItem, tokens.RefreshToken);
        properties.SetString(ExpiresAtItem, tokens.ExpiresAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
    }
}
