using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dflare.Persistence.Identity;

/// <summary>
/// One signing key of a realm. The newest key that has not been retired signs; every key is published in the realm's
/// JWKS until <see cref="ExpiresAt"/>, the last moment a token it signed can still be valid.
/// </summary>
public sealed class RealmKeyRow
{
    public Guid Id { get; set; }

    /// <summary>The realm: <c>platform</c> or a tenant's name.</summary>
    public required string Realm { get; set; }

    /// <summary>The JWS <c>kid</c>.</summary>
    public required string KeyId { get; set; }

    public required string Algorithm { get; set; }

    /// <summary>The private key (PKCS#8), sealed with the store's secret key.</summary>
    public required string SealedPrivateKey { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When this key stopped signing; null while it is the realm's active key.</summary>
    public DateTimeOffset? RetiredAt { get; set; }

    /// <summary>When this key leaves the JWKS: its retirement plus the longest token lifetime.</summary>
    public DateTimeOffset? ExpiresAt { get; set; }
}

internal sealed class RealmKeyRowConfiguration : IEntityTypeConfiguration<RealmKeyRow>
{
    public void Configure(EntityTypeBuilder<RealmKeyRow> builder)
    {
        builder.ToTable("realm_keys");
        builder.HasKey(k => k.Id);
        builder.Property(k => k.Realm).HasMaxLength(63);
        builder.Property(k => k.KeyId).HasMaxLength(64);
        builder.HasIndex(k => k.KeyId).IsUnique();
        builder.HasIndex(k => k.Realm);
        builder.Property(k => k.Algorithm).HasMaxLength(16);
    }
}
