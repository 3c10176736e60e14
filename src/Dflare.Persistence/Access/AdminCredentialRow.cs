using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dflare.Persistence.Access;

/// <summary>
/// The bootstrap administrator credential: only its hash is stored. It stands in for the identity service until
/// realms and tokens exist, and stays as the break-glass credential after.
/// </summary>
public sealed class AdminCredentialRow
{
    public Guid Id { get; set; }

    public required string Name { get; set; }

    /// <summary>A short, non-secret prefix of the credential, shown so an operator can tell credentials apart.</summary>
    public required string Prefix { get; set; }

    /// <summary>SHA-256 of the whole credential, hex. The credential is 256 random bits, so no KDF is needed.</summary>
    public required string SecretHash { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

internal sealed class AdminCredentialRowConfiguration : IEntityTypeConfiguration<AdminCredentialRow>
{
    public void Configure(EntityTypeBuilder<AdminCredentialRow> builder)
    {
        builder.ToTable("admin_credentials");
        builder.HasKey(c => c.Id);
        builder.Property(c => c.Name).HasMaxLength(63);
        builder.HasIndex(c => c.Name).IsUnique();
        builder.Property(c => c.Prefix).HasMaxLength(32);
        builder.Property(c => c.SecretHash).HasMaxLength(64);
        builder.HasIndex(c => c.SecretHash).IsUnique();
    }
}
