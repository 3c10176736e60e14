using System.Security.Claims;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Dflare.Core.Identity;

/// <summary>
/// Validates a presented access token against the realm its issuer names, and only that realm's keys. The algorithm
/// is pinned to RS256 (so <c>none</c> and HS256-with-the-public-key are refused before any key is tried), the type to
/// <c>at+jwt</c>, the audience to the Dflare API, and expiry is required, with at most 30 s of skew. A token of another
/// issuer is handed to <see cref="FederatedTokenValidator"/>.
/// </summary>
public sealed class AccessTokenValidator(RealmKeys keys, IssuerAddress issuer, FederatedTokenValidator federated, IOptions<IdentityOptions> options)
{
    public static readonly IReadOnlyList<string> AcceptedAlgorithms = [RealmKeys.Algorithm];
    private static readonly JsonWebTokenHandler Handler = new() { MapInboundClaims = false };

    /// <summary>The caller's claims, or why the token is refused (for logs; clients get a plain 401).</summary>
    public async Task<(ClaimsPrincipal? Principal, string? Error)> ValidateAsync(string token, CancellationToken cancellationToken)
    {
        if (!Handler.CanReadToken(token))
        {
            return (null, "not a JWT");
        }
        JsonWebToken unverified;
        try
        {
            unverified = Handler.ReadJsonWebToken(token);
        }
        catch (ArgumentException)
        {
            return (null, "not a JWT");
        }
        var realm = issuer.RealmOf(unverified.Issuer);
        if (realm is null)
        {
            return await federated.ValidateAsync(token, unverified.Issuer, cancellationToken);
        }
        var realmKeys = await keys.PublishedAsync(realm, unverified.Kid, cancellationToken);
        var result = await Handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = issuer.For(realm),
            ValidAudience = IdentityOptions.ApiAudience,
            ValidAlgorithms = AcceptedAlgorithms,
            ValidTypes = [TokenService.TokenType],
            IssuerSigningKeys = realmKeys,
            TryAllIssuerSigningKeys = false,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateIssuerSigningKey = true,
            ValidateLifetime = true,
            ClockSkew = TimeSpan.FromSeconds(Math.Min(options.Value.ClockSkewSeconds, IdentityLimits.MaxClockSkewSeconds)),
            NameClaimType = AccessSubject.NameClaim,
            RoleClaimType = AccessSubject.RolesClaim,
        });
        if (!result.IsValid)
        {
            return (null, result.Exception?.Message ?? "invalid token");
        }
        // The realm claim must agree with the issuer: a token cannot speak for another realm than its signer's.
        if (result.ClaimsIdentity.FindFirst(AccessSubject.RealmClaim)?.Value != realm)
        {
            return (null, "the realm claim does not match the issuer");
        }
        return (new ClaimsPrincipal(result.ClaimsIdentity), null);
    }
}
