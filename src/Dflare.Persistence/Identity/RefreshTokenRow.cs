using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dflare.Persistence.Identity;

/// <summary>
/// A refresh token, stored as its hash. Each use replaces it with a new one of the same family; presenting a used
/// one again means it was stolen, so the whole family is revoked (OAuth 2.0 Security BCP §4.14).
/// </summary>
public sealed class RefreshTokenRow
{
    public Guid Id { get; set; }

    public required string Realm { get; set; }

    /// <summary>SHA-256 of the token, hex.</summary>
    public required string TokenHash { get; set; }

    public Guid FamilyId { get; set; }

    public Guid PrincipalId { get; set; }

    public required string ClientId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    /// <summary>Set once it has been exchanged for a new one.</summary>
    public DateTimeOffset? UsedAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }
}

internal sealed class RefreshTokenRowConfiguration : IEntityTypeConfiguration<RefreshTokenRow>
{
    public void Configure(EntityTypeBuilder<RefreshTokenRow> builder)
    {
        builder.ToTable("refresh_tokens");
        builder.HasKey(t => t.Id);
        builder.Property(t => t.Realm).HasMaxLength(63);
        builder.Property(t => t.TokenHash).HasMaxLength(64);
        builder.HasIndex(t => t.TokenHash).IsUnique();
        builder.HasIndex(t => t.FamilyId);
        builder.Property(t => t.ClientId).HasMaxLength(128);
    }
}
