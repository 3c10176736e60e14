using System.Security.Cryptography;
using System.Text;
using Dflare.Persistence.Access;
using Dflare.Persistence.Store;
using Dflare.Server.Hosting;
using Microsoft.EntityFrameworkCore;

namespace Dflare.Server.Access;

/// <summary>
/// The bootstrap administrator credential: 256 random bits, shown once, stored as a SHA-256 hash (a KDF adds nothing
/// to a secret with that much entropy, and costs every request). Realms and tokens replace it for daily use later;
/// it stays as the break-glass credential.
/// </summary>
public sealed class AdminCredentials(DflareDbContext db, TimeProvider time)
{
    public const string GeneratedName = "bootstrap-admin";
    public const string ConfiguredName = "configured-admin";
    public const string TokenPrefix = "dfl_";

    /// <summary>Makes sure an administrator can sign in. Returns a newly generated credential to show once, or null.</summary>
    public async Task<string?> EnsureAsync(BootstrapOptions options, CancellationToken cancellationToken)
    {
        if (options.AdminCredential is { } configured)
        {
            await UpsertAsync(ConfiguredName, configured, cancellationToken);
            return null;
        }
        if (await db.AdminCredentials.AnyAsync(cancellationToken))
        {
            return null;
        }
        var generated = Generate();
        await UpsertAsync(GeneratedName, generated, cancellationToken);
        return generated;
    }

    /// <summary>Replaces the generated credential with a new one and returns it; the old one stops working at once.</summary>
    public async Task<string> RotateAsync(CancellationToken cancellationToken)
    {
        var generated = Generate();
        await UpsertAsync(GeneratedName, generated, cancellationToken);
        return generated;
    }

    public Task<AdminCredentialRow?> FindAsync(string presented, CancellationToken cancellationToken)
    {
        var hash = Hash(presented);
        return db.AdminCredentials.AsNoTracking().FirstOrDefaultAsync(c => c.SecretHash == hash, cancellationToken);
    }

    internal static string Generate() => TokenPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))
        .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    internal static string Hash(string credential) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(credential)));

    private async Task UpsertAsync(string name, string credential, CancellationToken cancellationToken)
    {
        var hash = Hash(credential);
        var row = await db.AdminCredentials.FirstOrDefaultAsync(c => c.Name == name, cancellationToken);
        if (row?.SecretHash == hash)
        {
            return;
        }
        if (row is null)
        {
            row = new AdminCredentialRow { Id = Guid.CreateVersion7(), Name = name, Prefix = "", SecretHash = "" };
            db.AdminCredentials.Add(row);
        }
        row.SecretHash = hash;
        row.Prefix = credential[..Math.Min(12, credential.Length)];
        row.CreatedAt = time.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
    }
}
