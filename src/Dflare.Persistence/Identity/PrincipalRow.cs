using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dflare.Persistence.Identity;

/// <summary>Who can sign in to a realm: a local user (password) or a service account (client credentials).</summary>
public sealed class PrincipalRow
{
    public Guid Id { get; set; }

    public required string Realm { get; set; }

    /// <summary><c>User</c> or <c>ServiceAccount</c>.</summary>
    public required string Kind { get; set; }

    /// <summary>The user name or the service account's client id; unique in the realm.</summary>
    public required string Name { get; set; }

    public string? DisplayName { get; set; }

    public string? Email { get; set; }

    /// <summary>The password's or client secret's hash in PHC form (<c>$argon2id$…</c>, or SHA-256 for random secrets).</summary>
    public string? SecretHash { get; set; }

    /// <summary>For users of a federated realm: the external issuer's subject.</summary>
    public string? ExternalSubject { get; set; }

    public bool Disabled { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}

internal sealed class PrincipalRowConfiguration : IEntityTypeConfiguration<PrincipalRow>
{
    public void Configure(EntityTypeBuilder<PrincipalRow> builder)
    {
        builder.ToTable("principals");
        builder.HasKey(p => p.Id);
        builder.Property(p => p.Realm).HasMaxLength(63);
        builder.Property(p => p.Kind).HasMaxLength(16);
        builder.Property(p => p.Name).HasMaxLength(128);
        builder.HasIndex(p => new { p.Realm, p.Name }).IsUnique();
        builder.Property(p => p.DisplayName).HasMaxLength(128);
        builder.Property(p => p.Email).HasMaxLength(254);
        builder.Property(p => p.SecretHash).HasMaxLength(256);
        builder.Property(p => p.ExternalSubject).HasMaxLength(256);
    }
}
