using System.Collections.Concurrent;
using System.Security.Claims;
using System.Text.Json;
using Dflare.Persistence.Identity;
using Dflare.Persistence.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Dflare.Core.Identity;

/// <summary>
/// Tokens from an external OpenID provider a realm trusts. The issuer picks the one realm (an issuer can be trusted by
/// at most one); the provider's discovery document and keys are fetched over HTTP and cached (re-read when a token
/// names an unknown key). Audience, issuer, lifetime and the algorithm (RS256 or ES256) are checked as for our own
/// tokens. The caller's roles come only from bindings of the realm's groups its provider groups map to: a federated
/// user named like a local user gets nothing of that user's.
/// </summary>
public sealed class FederatedTokenValidator(IServiceScopeFactory scopes, IOptions<IdentityOptions> options, TimeProvider time) : IDisposable
{
    public static readonly IReadOnlyList<string> AcceptedAlgorithms = [SecurityAlgorithms.RsaSha256, SecurityAlgorithms.EcdsaSha256];
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);
    private static readonly JsonWebTokenHandler Handler = new() { MapInboundClaims = false };
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly ConcurrentDictionary<string, ConfigurationManager<OpenIdConnectConfiguration>> _providers = new(StringComparer.Ordinal);
    /// <summary>Every federation at once (there are few): an issuer from a forged token never adds an entry.</summary>
    private (DateTimeOffset ReadAt, IReadOnlyDictionary<string, RealmFederationRow> ByIssuer)? _federations;

    public async Task<(ClaimsPrincipal? Principal, string? Error)> ValidateAsync(string token, string? issuer, CancellationToken cancellationToken)
    {
        if (issuer is null || await FederationAsync(issuer, cancellationToken) is not { } federation)
        {
            return (null, "the issuer is neither a realm of this control plane nor a provider a realm trusts");
        }
        var provider = _providers.GetOrAdd(issuer, i => new ConfigurationManager<OpenIdConnectConfiguration>(
            i.TrimEnd('/') + "/.well-known/openid-configuration", new OpenIdConnectConfigurationRetriever(),
            new HttpDocumentRetriever(_http) { RequireHttps = !options.Value.AllowHttpFederation }));
        TokenValidationResult result;
        try
        {
            result = await ValidateWithAsync(token, federation, await provider.GetConfigurationAsync(cancellationToken));
            if (!result.IsValid && result.Exception is SecurityTokenSignatureKeyNotFoundException)
            {
                provider.RequestRefresh(); // the provider rotated its keys
                result = await ValidateWithAsync(token, federation, await provider.GetConfigurationAsync(cancellationToken));
            }
        }
        catch (InvalidOperationException ex)
        {
            return (null, $"the provider's configuration could not be read: {ex.Message}");
        }
        if (!result.IsValid)
        {
            return (null, result.Exception?.Message ?? "invalid token");
        }
        var claims = result.ClaimsIdentity;
        var mapping = JsonSerializer.Deserialize<Dictionary<string, string>>(federation.GroupMapping) ?? [];
        var groups = claims.FindAll(federation.GroupsClaim).Select(c => c.Value)
            .Where(mapping.ContainsKey).Select(g => mapping[g]).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var subject = claims.FindFirst("sub")?.Value;
        if (subject is null)
        {
            return (null, "the token has no subject");
        }
        var name = claims.FindFirst(federation.UsernameClaim)?.Value ?? subject;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DflareDbContext>();
        var roles = (await db.RoleBindings.AsNoTracking()
                .Where(b => b.Realm == federation.Realm && b.SubjectKind == PrincipalKinds.Group && groups.Contains(b.SubjectName))
                .Select(b => new { b.Role, b.Project }).ToListAsync(cancellationToken))
            .Select(b => new RoleGrant(b.Role, b.Project)).Distinct().ToList();
        var caller = new AccessSubject(federation.Realm, $"federated:{subject}", name, PrincipalKinds.FederatedUser, groups, roles);
        return (new ClaimsPrincipal(new ClaimsIdentity(caller.ToClaims(), "Federated", AccessSubject.NameClaim, AccessSubject.RolesClaim)), null);
    }

    /// <summary>Forget what was cached about an issuer's federation (after it changed here).</summary>
    public void Invalidate(string issuer)
    {
        _federations = null;
        _providers.TryRemove(issuer, out _);
    }

    public void Dispose() => _http.Dispose();

    private Task<TokenValidationResult> ValidateWithAsync(string token, RealmFederationRow federation, OpenIdConnectConfiguration configuration) =>
        Handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = federation.Issuer,
            ValidAudience = federation.ClientId,
            ValidAlgorithms = AcceptedAlgorithms,
            IssuerSigningKeys = configuration.SigningKeys,
            TryAllIssuerSigningKeys = false,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            ClockSkew = TimeSpan.FromSeconds(Math.Min(options.Value.ClockSkewSeconds, IdentityLimits.MaxClockSkewSeconds)),
        });

    private async Task<RealmFederationRow?> FederationAsync(string issuer, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_federations is not { } cached || now - cached.ReadAt >= CacheFor)
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<DflareDbContext>();
            var rows = await db.RealmFederations.AsNoTracking().ToListAsync(cancellationToken);
            cached = (now, rows.ToDictionary(r => r.Issuer, StringComparer.Ordinal));
            _federations = cached;
        }
        return cached.ByIssuer.TryGetValue(issuer, out var row) ? row : null;
    }
}
