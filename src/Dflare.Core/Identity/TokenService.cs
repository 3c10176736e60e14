using System.Security.Cryptography;
using System.Text;
using Dflare.Persistence.Identity;
using Dflare.Persistence.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Dflare.Core.Identity;

/// <summary>What the token endpoint answers on success (RFC 6749 §5.1).</summary>
public sealed record TokenResponse(string AccessToken, int ExpiresIn, string? RefreshToken, string Scope);

/// <summary>Why a grant was refused, as an RFC 6749 §5.2 error code and a sentence.</summary>
public sealed class GrantException(string error, string description) : Exception(description)
{
    public string Error { get; } = error;
}

/// <summary>
/// Issues access tokens (RFC 9068 JWTs, <c>typ: at+jwt</c>, signed by the realm's key through
/// Microsoft.IdentityModel) and rotating refresh tokens. A token carries the realm, the tenant, the caller's groups,
/// role grants and projects as they stand at issue time; a changed binding takes effect at the next refresh.
/// </summary>
public sealed class TokenService(
    DflareDbContext db, RealmKeys keys, IssuerAddress issuer, IOptions<IdentityOptions> options, TimeProvider time)
{
    public const string TokenType = "at+jwt";
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    public async Task<TokenResponse> IssueAsync(PrincipalRow principal, string clientId, bool withRefreshToken, Guid? family, CancellationToken cancellationToken)
    {
        var subject = await SubjectAsync(principal, cancellationToken);
        var now = time.GetUtcNow();
        var lifetime = TimeSpan.FromMinutes(options.Value.AccessTokenMinutes);
        var claims = new Dictionary<string, object>
        {
            [AccessSubject.SubjectClaim] = subject.Id,
            [AccessSubject.RealmClaim] = subject.Realm,
            [AccessSubject.NameClaim] = subject.Name,
            [AccessSubject.KindClaim] = subject.Kind,
            [AccessSubject.GroupsClaim] = subject.Groups.ToArray(),
            [AccessSubject.RolesClaim] = subject.Roles.Select(r => r.ToString()).ToArray(),
            [AccessSubject.ProjectsClaim] = subject.Roles.Where(r => r.Project is not null).Select(r => r.Project!).Distinct().ToArray(),
            ["client_id"] = clientId,
            ["jti"] = Guid.NewGuid().ToString("N"),
        };
        if (subject.Tenant is { } tenant)
        {
            claims[AccessSubject.TenantClaim] = tenant;
        }
        var token = Handler.CreateToken(new SecurityTokenDescriptor
        {
            TokenType = TokenType,
            Issuer = issuer.For(principal.Realm),
            Audience = IdentityOptions.ApiAudience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = (now + lifetime).UtcDateTime,
            Claims = claims,
            SigningCredentials = await keys.SigningCredentialsAsync(principal.Realm, cancellationToken),
        });
        string? refresh = null;
        if (withRefreshToken)
        {
            refresh = NewSecret("dfr_");
            db.RefreshTokens.Add(new RefreshTokenRow
            {
                Id = Guid.CreateVersion7(),
                Realm = principal.Realm,
                TokenHash = HashSecret(refresh),
                FamilyId = family ?? Guid.CreateVersion7(),
                PrincipalId = principal.Id,
                ClientId = clientId,
                CreatedAt = now,
                ExpiresAt = now + TimeSpan.FromDays(options.Value.RefreshTokenDays),
            });
            await db.SaveChangesAsync(cancellationToken);
        }
        return new TokenResponse(token, (int)lifetime.TotalSeconds, refresh, "dflare");
    }

    /// <summary>
    /// Exchanges a refresh token for new tokens; the presented one is spent. A spent one presented again revokes its
    /// whole family: either the client or a thief has a copy, and the server cannot tell which.
    /// </summary>
    public async Task<TokenResponse> RefreshAsync(string realm, string? clientId, string presented, CancellationToken cancellationToken)
    {
        var hash = HashSecret(presented);
        var row = await db.RefreshTokens.FirstOrDefaultAsync(t => t.TokenHash == hash, cancellationToken);
        var now = time.GetUtcNow();
        if (row is null || row.Realm != realm)
        {
            throw new GrantException("invalid_grant", "The refresh token is not known to this realm.");
        }
        if (clientId != row.ClientId)
        {
            throw new GrantException("invalid_grant", "The refresh token was issued to another client; send its client_id.");
        }
        if (row.RevokedAt is not null)
        {
            throw new GrantException("invalid_grant", "The refresh token has been revoked.");
        }
        if (row.UsedAt is not null)
        {
            await RevokeFamilyAsync(row.FamilyId, cancellationToken);
            throw new GrantException("invalid_grant", "The refresh token was already used; its whole family is revoked now.");
        }
        if (row.ExpiresAt <= now)
        {
            throw new GrantException("invalid_grant", "The refresh token has expired.");
        }
        var principal = await db.Principals.FirstOrDefaultAsync(p => p.Id == row.PrincipalId, cancellationToken);
        if (principal is null || principal.Disabled)
        {
            throw new GrantException("invalid_grant", "The account behind the refresh token no longer exists or is disabled.");
        }
        // Spent with a conditional update: of two requests racing with the same token, one wins and the other is a replay.
        var spent = await db.RefreshTokens.Where(t => t.Id == row.Id && t.UsedAt == null && t.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.UsedAt, now), cancellationToken);
        if (spent == 0)
        {
            await RevokeFamilyAsync(row.FamilyId, cancellationToken);
            throw new GrantException("invalid_grant", "The refresh token was already used; its whole family is revoked now.");
        }
        return await IssueAsync(principal, row.ClientId, withRefreshToken: true, row.FamilyId, cancellationToken);
    }

    /// <summary>RFC 7009: revokes the refresh token's family. Unknown tokens are not an error.</summary>
    public async Task RevokeAsync(string realm, string presented, CancellationToken cancellationToken)
    {
        var hash = HashSecret(presented);
        var row = await db.RefreshTokens.AsNoTracking().FirstOrDefaultAsync(t => t.TokenHash == hash && t.Realm == realm, cancellationToken);
        if (row is not null)
        {
            await RevokeFamilyAsync(row.FamilyId, cancellationToken);
        }
    }

    /// <summary>The subject a token for <paramref name="principal"/> describes: its groups and every grant that reaches it.</summary>
    public async Task<AccessSubject> SubjectAsync(PrincipalRow principal, CancellationToken cancellationToken)
    {
        var groups = await db.GroupMembers.AsNoTracking()
            .Where(m => m.PrincipalId == principal.Id).Select(m => m.Group).OrderBy(g => g).ToListAsync(cancellationToken);
        var bindings = await db.RoleBindings.AsNoTracking()
            .Where(b => b.Realm == principal.Realm
                && ((b.SubjectKind == principal.Kind && b.SubjectName == principal.Name) || (b.SubjectKind == PrincipalKinds.Group && groups.Contains(b.SubjectName))))
            .Select(b => new { b.Role, b.Project })
            .ToListAsync(cancellationToken);
        var roles = bindings.Select(b => new RoleGrant(b.Role, b.Project)).Distinct().OrderBy(r => r.ToString(), StringComparer.Ordinal).ToList();
        return new AccessSubject(principal.Realm, principal.Id.ToString(), principal.Name, principal.Kind, groups, roles);
    }

    private async Task RevokeFamilyAsync(Guid family, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await db.RefreshTokens.Where(t => t.FamilyId == family && t.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, now), cancellationToken);
    }

    /// <summary>A random secret with a prefix that says what it is (secret scanners key on it).</summary>
    public static string NewSecret(string prefix) => prefix + Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));

    /// <summary>Random 256-bit secrets need no KDF; a hash keeps them useless to whoever reads the store.</summary>
    public static string HashSecret(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
}
