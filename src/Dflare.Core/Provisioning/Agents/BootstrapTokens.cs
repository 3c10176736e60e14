using System.Security.Cryptography;
using System.Text;
using Dflare.Persistence.Provisioning;
using Dflare.Persistence.Store;
using Microsoft.EntityFrameworkCore;

namespace Dflare.Core.Provisioning.Agents;

/// <summary>One-time tokens an agent spends on its first certificate. Only their SHA-256 is stored.</summary>
public static class BootstrapTokens
{
    public const string Prefix = "dfb_";

    public static (string Token, BootstrapTokenRow Row) Issue(Guid nodeId, Guid runId, DateTimeOffset now, TimeSpan lifetime)
    {
        var token = Prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        return (token, new BootstrapTokenRow
        {
            Id = Guid.CreateVersion7(now),
            NodeId = nodeId,
            RunId = runId,
            TokenHash = Hash(token),
            CreatedAt = now,
            ExpiresAt = now + lifetime,
        });
    }

    /// <summary>The token's node if it is known and unexpired; does not spend it (boot-failure reports use this).</summary>
    public static async Task<BootstrapTokenRow?> FindValidAsync(DflareDbContext db, string token, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var hash = Hash(token);
        return await db.BootstrapTokens.AsNoTracking().FirstOrDefaultAsync(t => t.TokenHash == hash && t.ExpiresAt > now, cancellationToken);
    }

    /// <summary>Spends the token: exactly one caller wins, by a conditional update; null when unknown, expired or spent.</summary>
    public static async Task<BootstrapTokenRow?> RedeemAsync(DflareDbContext db, string token, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var hash = Hash(token);
        var spent = await db.BootstrapTokens
            .Where(t => t.TokenHash == hash && t.RedeemedAt == null && t.ExpiresAt > now)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.RedeemedAt, now), cancellationToken);
        return spent == 1 ? await db.BootstrapTokens.AsNoTracking().SingleAsync(t => t.TokenHash == hash, cancellationToken) : null;
    }

    private static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
