using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Dflare.Core.Secrets;
using Dflare.Persistence.Identity;
using Dflare.Persistence.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Dflare.Core.Identity;

/// <summary>What one audit entry records.</summary>
public sealed record AuditRecord(
    string? Tenant, string Actor, string Action, string? Permission, string Decision, int Status, string? Reason, string? CorrelationId);

/// <summary>The first entry the verification found wrong, and how.</summary>
public sealed record AuditVerification(bool Intact, long Entries, long? FirstBadSequence, string? Problem, long CheckpointsVerified);

/// <summary>
/// The append-only, hash-chained audit log. Each entry's hash covers the previous entry's hash and its own fields,
/// so an entry that is changed, deleted, inserted or moved breaks the chain at that point; signed checkpoints (ES256,
/// a key kept only for them) pin the chain's head every <see cref="IdentityOptions.AuditCheckpointEvery"/> entries,
/// so a log truncated at the end, or recomputed from scratch by someone who can write the database, is caught too.
/// Appends are serialised in this process and retried on a sequence conflict with another replica.
/// </summary>
public sealed class AuditLog(IServiceScopeFactory scopes, SecretProtector protector, IOptions<IdentityOptions> options, TimeProvider time) : IDisposable
{
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";
    /// <summary>Not a DNS label, so never a tenant's realm.</summary>
    private const string KeyRealm = "_audit";
    private const string SealPurpose = "audit-checkpoint-key";
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false, MapInboundClaims = false };
    private readonly SemaphoreSlim _appending = new(1, 1);

    public async Task AppendAsync(AuditRecord record, CancellationToken cancellationToken)
    {
        await _appending.WaitAsync(cancellationToken);
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<DflareDbContext>();
                var last = await db.AuditEntries.AsNoTracking().OrderByDescending(e => e.Sequence)
                    .Select(e => new { e.Sequence, e.Hash }).FirstOrDefaultAsync(cancellationToken);
                var entry = new AuditEntryRow
                {
                    Sequence = (last?.Sequence ?? 0) + 1,
                    // Stored to the millisecond, so the hash recomputes the same on both providers.
                    At = DateTimeOffset.FromUnixTimeMilliseconds(time.GetUtcNow().ToUnixTimeMilliseconds()),
                    Tenant = record.Tenant,
                    Actor = Truncate(record.Actor, 200)!,
                    Action = Truncate(record.Action, 300)!,
                    Permission = record.Permission,
                    Decision = record.Decision,
                    Status = record.Status,
                    Reason = Truncate(record.Reason, 500),
                    CorrelationId = Truncate(record.CorrelationId, 64),
                    PreviousHash = last?.Hash ?? Genesis,
                    Hash = "",
                };
                entry.Hash = HashOf(entry);
                db.AuditEntries.Add(entry);
                try
                {
                    await db.SaveChangesAsync(cancellationToken);
                }
                catch (DbUpdateException) when (attempt < 5)
                {
                    continue; // another replica took this sequence number
                }
                if (entry.Sequence % options.Value.AuditCheckpointEvery == 0)
                {
                    await CheckpointAsync(db, entry, cancellationToken);
                }
                return;
            }
        }
        finally
        {
            _appending.Release();
        }
    }

    /// <summary>Signs a checkpoint at the current head, if it is not signed yet.</summary>
    public async Task CheckpointAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DflareDbContext>();
        var head = await db.AuditEntries.AsNoTracking().OrderByDescending(e => e.Sequence).FirstOrDefaultAsync(cancellationToken);
        if (head is not null && !await db.AuditCheckpoints.AnyAsync(c => c.Sequence == head.Sequence, cancellationToken))
        {
            await CheckpointAsync(db, head, cancellationToken);
        }
    }

    /// <summary>Walks the whole chain and every checkpoint; names the first entry that is not what was written.</summary>
    public async Task<AuditVerification> VerifyAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DflareDbContext>();
        var checkpoints = await db.AuditCheckpoints.AsNoTracking().OrderBy(c => c.Sequence).ToListAsync(cancellationToken);
        var keys = await CheckpointKeysAsync(db, cancellationToken);
        long previousCheckpoint = 0;
        foreach (var checkpoint in checkpoints)
        {
            if (await SignedEveryAsync(checkpoint, keys) is not { } every)
            {
                return new AuditVerification(false, 0, checkpoint.Sequence, $"the checkpoint at entry {checkpoint.Sequence} is not signed by the audit key", 0);
            }
            // One is signed at least every `every` entries, so a longer gap means checkpoints were deleted.
            if (checkpoint.Sequence - previousCheckpoint > every)
            {
                return new AuditVerification(false, 0, previousCheckpoint + 1, $"checkpoints between entries {previousCheckpoint} and {checkpoint.Sequence} are missing", 0);
            }
            previousCheckpoint = checkpoint.Sequence;
        }
        var previous = Genesis;
        long expected = 1, verified = 0;
        var nextCheckpoint = 0;
        const int page = 500;
        while (true)
        {
            var batch = await db.AuditEntries.AsNoTracking().Where(e => e.Sequence >= expected).OrderBy(e => e.Sequence).Take(page).ToListAsync(cancellationToken);
            foreach (var entry in batch)
            {
                if (entry.Sequence != expected)
                {
                    return Bad(expected, $"entry {expected} is missing (deleted, or the entries after it were renumbered)");
                }
                if (entry.PreviousHash != previous)
                {
                    return Bad(expected, $"entry {expected} does not follow entry {expected - 1} (inserted, deleted or reordered)");
                }
                if (HashOf(entry) != entry.Hash)
                {
                    return Bad(expected, $"entry {expected} was changed after it was written");
                }
                while (nextCheckpoint < checkpoints.Count && checkpoints[nextCheckpoint].Sequence == entry.Sequence)
                {
                    if (checkpoints[nextCheckpoint].Hash != entry.Hash)
                    {
                        // The chain holds together but is not the one that was signed: it was rewritten from an earlier point.
                        var from = nextCheckpoint == 0 ? 1 : checkpoints[nextCheckpoint - 1].Sequence + 1;
                        return Bad(from, $"entries {from}–{entry.Sequence} were rewritten: they no longer match the checkpoint signed at entry {entry.Sequence}");
                    }
                    nextCheckpoint++;
                    verified++;
                }
                previous = entry.Hash;
                expected++;
            }
            if (batch.Count < page)
            {
                break;
            }
        }
        if (nextCheckpoint < checkpoints.Count)
        {
            return Bad(expected, $"the log ends at entry {expected - 1} but a checkpoint was signed at entry {checkpoints[nextCheckpoint].Sequence}: it was truncated");
        }
        if (expected - 1 - previousCheckpoint > options.Value.AuditCheckpointEvery)
        {
            // Entries past the point where a checkpoint must have been signed, and none is there: deleted with them.
            return Bad(previousCheckpoint + 1, $"entries after {previousCheckpoint} have no checkpoint though one is signed every {options.Value.AuditCheckpointEvery}: checkpoints were deleted");
        }
        return new AuditVerification(true, expected - 1, null, null, verified);

        AuditVerification Bad(long sequence, string problem) => new(false, expected - 1, sequence, problem, verified);
    }

    public void Dispose() => _appending.Dispose();

    public static string HashOf(AuditEntryRow e)
    {
        // Length-prefixed fields: no two different entries serialise to the same bytes.
        var text = new StringBuilder();
        foreach (var field in new[]
        {
            e.PreviousHash, e.Sequence.ToString(CultureInfo.InvariantCulture), e.At.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
            e.Tenant, e.Actor, e.Action, e.Permission, e.Decision, e.Status.ToString(CultureInfo.InvariantCulture), e.Reason, e.CorrelationId,
        })
        {
            text.Append(field is null ? "-1:" : $"{field.Length}:{field}").Append('|');
        }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    private async Task CheckpointAsync(DflareDbContext db, AuditEntryRow head, CancellationToken cancellationToken)
    {
        var key = await SigningKeyAsync(db, cancellationToken);
        var now = time.GetUtcNow();
        var signature = Handler.CreateToken(new SecurityTokenDescriptor
        {
            Claims = new Dictionary<string, object>
            {
                ["seq"] = head.Sequence, ["hash"] = head.Hash, ["at"] = now.ToUnixTimeSeconds(), ["every"] = options.Value.AuditCheckpointEvery,
            },
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.EcdsaSha256),
        });
        db.AuditCheckpoints.Add(new AuditCheckpointRow { Sequence = head.Sequence, Hash = head.Hash, At = now, KeyId = key.KeyId, Signature = signature });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Another replica signed the same head.
        }
    }

    private async Task<ECDsaSecurityKey> SigningKeyAsync(DflareDbContext db, CancellationToken cancellationToken)
    {
        var row = await db.RealmKeys.AsNoTracking().Where(k => k.Realm == KeyRealm).OrderByDescending(k => k.CreatedAt).FirstOrDefaultAsync(cancellationToken);
        if (row is null)
        {
            using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            row = new RealmKeyRow
            {
                Id = Guid.CreateVersion7(), Realm = KeyRealm, KeyId = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(12)),
                Algorithm = SecurityAlgorithms.EcdsaSha256,
                SealedPrivateKey = protector.Seal(SealPurpose, Convert.ToBase64String(ecdsa.ExportPkcs8PrivateKey())),
                CreatedAt = time.GetUtcNow(),
            };
            db.RealmKeys.Add(row);
            await db.SaveChangesAsync(cancellationToken);
        }
        return Open(row);
    }

    private async Task<IReadOnlyList<ECDsaSecurityKey>> CheckpointKeysAsync(DflareDbContext db, CancellationToken cancellationToken) =>
        [.. (await db.RealmKeys.AsNoTracking().Where(k => k.Realm == KeyRealm).ToListAsync(cancellationToken)).Select(Open)];

    private ECDsaSecurityKey Open(RealmKeyRow row)
    {
        var ecdsa = ECDsa.Create();
        ecdsa.ImportPkcs8PrivateKey(Convert.FromBase64String(protector.Open(SealPurpose, row.SealedPrivateKey)), out _);
        return new ECDsaSecurityKey(ecdsa) { KeyId = row.KeyId };
    }

    /// <summary>The checkpoint interval it was signed under, if its signature holds for its sequence and hash.</summary>
    private static async Task<long?> SignedEveryAsync(AuditCheckpointRow checkpoint, IReadOnlyList<ECDsaSecurityKey> keys)
    {
        var result = await Handler.ValidateTokenAsync(checkpoint.Signature, new TokenValidationParameters
        {
            IssuerSigningKeys = keys, ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256], ValidateIssuer = false, ValidateAudience = false,
            ValidateLifetime = false, RequireExpirationTime = false, RequireSignedTokens = true,
        });
        var holds = result.IsValid
            && result.Claims.TryGetValue("seq", out var seq) && Convert.ToInt64(seq, CultureInfo.InvariantCulture) == checkpoint.Sequence
            && result.Claims.TryGetValue("hash", out var hash) && (string)hash == checkpoint.Hash;
        return !holds ? null : result.Claims.TryGetValue("every", out var every) ? Convert.ToInt64(every, CultureInfo.InvariantCulture) : long.MaxValue;
    }

    private static string? Truncate(string? value, int length) => value is null || value.Length <= length ? value : value[..length];
}
