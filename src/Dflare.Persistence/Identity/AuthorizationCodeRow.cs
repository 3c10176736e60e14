using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dflare.Persistence.Identity;

/// <summary>One OAuth authorization code (RFC 6749 §4.1 with PKCE, RFC 7636): issued when a person signs in on the
/// realm's page for a public client, redeemed once, within a minute, by the holder of the PKCE verifier.</summary>
public sealed class AuthorizationCodeRow
{
    public Guid Id { get; set; }

    public required string Realm { get; set; }

    /// <summary>SHA-256 of the code, hex; the code itself is never stored.</summary>
    public required string CodeHash { get; set; }

    public required string ClientId { get; set; }

    /// <summary>The redirect URI the code was issued for; the redemption must name the same one.</summary>
    public required string RedirectUri { get; set; }

    /// <summary>The S256 PKCE challenge: base64url(SHA-256(verifier)).</summary>
    public required string CodeChallenge { get; set; }

    public Guid PrincipalId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    /// <summary>When it was exchanged for tokens; a second exchange is refused.</summary>
    public DateTimeOffset? RedeemedAt { get; set; }
}

internal sealed class AuthorizationCodeRowConfiguration : IEntityTypeConfiguration<AuthorizationCodeRow>
{
    public void Configure(EntityTypeBuilder<AuthorizationCodeRow> builder)
    {
        builder.ToTable("authorization_codes");
        builder.HasKey(c => c.Id);
        builder.Property(c => c.Realm).HasMaxLength(63);
        builder.Property(c => c.CodeHash).HasMaxLength(64);
        builder.HasIndex(c => c.CodeHash).IsUnique();
        builder.Property(c => c.ClientId).HasMaxLength(128);
        builder.Property(c => c.RedirectUri).HasMaxLength(2048);
        builder.Property(c => c.CodeChallenge).HasMaxLength(128);
        builder.HasIndex(c => c.ExpiresAt);
    }
}
