using System.Collections.Concurrent;
using System.Security.Cryptography;
using Dflare.Core.Secrets;
using Dflare.Persistence.Identity;
using Dflare.Persistence.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Dflare.Core.Identity;

/// <summary>
/// Each realm's signing keys (RSA 2048, RS256), kept in the store with the private half sealed. The newest unretired
/// key signs; a key older than <see cref="IdentityOptions.KeyRotationDays"/> is retired when the next token is signed,
/// and stays published until the last token it signed has expired. Keys are cached per realm for a few seconds, and
/// re-read at once when a token names a key id the cache does not know (a key made by another replica).
/// </summary>
public sealed class RealmKeys(IServiceScopeFactory scopes, SecretProtector protector, IOptions<IdentityOptions> options, TimeProvider time) : IDisposable
{
    public const string Algorithm = SecurityAlgorithms.RsaSha256;
    private const string SealPurpose = "realm-signing-key";
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan MissRefreshAfter = TimeSpan.FromSeconds(1);
    private readonly ConcurrentDictionary<string, CachedKeys> _cache = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _creating = new(1, 1);

    /// <summary>The key to sign with now, made or rotated if needed.</summary>
    public async Task<SigningCredentials> SigningCredentialsAsync(string realm, CancellationToken cancellationToken)
    {
        var keys = await KeysAsync(realm, cancellationToken);
        var now = time.GetUtcNow();
        var active = keys.Active;
        if (active is null || now - active.CreatedAt >= TimeSpan.FromDays(options.Value.KeyRotationDays))
        {
            active = await RotateAsync(realm, cancellationToken);
        }
        return new SigningCredentials(active.Key, Algorithm);
    }

    /// <summary>Every key a valid token of the realm can be signed with, for validation and the JWKS.</summary>
    public async Task<IReadOnlyList<RsaSecurityKey>> PublishedAsync(string realm, string? wantedKeyId, CancellationToken cancellationToken)
    {
        var keys = await KeysAsync(realm, cancellationToken);
        if (wantedKeyId is not null && keys.All.All(k => k.Key.KeyId != wantedKeyId) && time.GetUtcNow() - keys.ReadAt > MissRefreshAfter)
        {
            _cache.TryRemove(realm, out _);
            keys = await KeysAsync(realm, cancellationToken);
        }
        var now = time.GetUtcNow();
        return [.. keys.All.Where(k => k.ExpiresAt is null || k.ExpiresAt > now).Select(k => k.Key)];
    }

    /// <summary>Retires the realm's signing key and makes a new one (an operator's rotation, or the scheduled one).</summary>
    public async Task<KeyEntry> RotateAsync(string realm, CancellationToken cancellationToken)
    {
        await _creating.WaitAsync(cancellationToken);
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<DflareDbContext>();
            var now = time.GetUtcNow();
            // The longest a token signed a moment ago can live, plus the skew a validator allows.
            var keepPublished = TimeSpan.FromMinutes(IdentityLimits.MaxAccessTokenMinutes) + TimeSpan.FromSeconds(IdentityLimits.MaxClockSkewSeconds);
            foreach (var old in await db.RealmKeys.Where(k => k.Realm == realm && k.RetiredAt == null).ToListAsync(cancellationToken))
            {
                old.RetiredAt = now;
                old.ExpiresAt = now + keepPublished;
            }
            using var rsa = RSA.Create(2048);
            var row = new RealmKeyRow
            {
                Id = Guid.CreateVersion7(),
                Realm = realm,
                KeyId = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(12)),
                Algorithm = Algorithm,
                SealedPrivateKey = protector.Seal(SealPurpose, Convert.ToBase64String(rsa.ExportPkcs8PrivateKey())),
                CreatedAt = now,
            };
            db.RealmKeys.Add(row);
            await db.SaveChangesAsync(cancellationToken);
            _cache.TryRemove(realm, out _);
            return ToEntry(row);
        }
        finally
        {
            _creating.Release();
        }
    }

    private async Task<CachedKeys> KeysAsync(string realm, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(realm, out var cached) && now - cached.ReadAt < CacheFor)
        {
            return cached;
        }
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DflareDbContext>();
        var rows = await db.RealmKeys.AsNoTracking().Where(k => k.Realm == realm).ToListAsync(cancellationToken);
        var entries = rows.Where(r => r.ExpiresAt is null || r.ExpiresAt > now).OrderByDescending(r => r.CreatedAt).Select(ToEntry).ToList();
        var fresh = new CachedKeys(now, entries, entries.FirstOrDefault(e => e.RetiredAt is null));
        if (entries.Count > 0)
        {
            // Only realms that have keys are cached: a realm name read from a forged token must not grow the cache.
            _cache[realm] = fresh;
        }
        return fresh;
    }

    private KeyEntry ToEntry(RealmKeyRow row)
    {
        var rsa = RSA.Create();
        rsa.ImportPkcs8PrivateKey(Convert.FromBase64String(protector.Open(SealPurpose, row.SealedPrivateKey)), out _);
        return new KeyEntry(new RsaSecurityKey(rsa) { KeyId = row.KeyId }, row.CreatedAt, row.RetiredAt, row.ExpiresAt);
    }

    public void Dispose() => _creating.Dispose();

    public sealed record KeyEntry(RsaSecurityKey Key, DateTimeOffset CreatedAt, DateTimeOffset? RetiredAt, DateTimeOffset? ExpiresAt);

    private sealed record CachedKeys(DateTimeOffset ReadAt, IReadOnlyList<KeyEntry> All, KeyEntry? Active);
}

/// <summary>The bounds the configuration validator enforces.</summary>
public static class IdentityLimits
{
    public const int MaxAccessTokenMinutes = 60;
    public const int MaxClockSkewSeconds = 30;
}
