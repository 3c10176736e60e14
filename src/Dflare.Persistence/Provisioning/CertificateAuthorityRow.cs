using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dflare.Persistence.Provisioning;

/// <summary>
/// A certificate authority of the control plane (the one that signs node agents' client certificates). In the store,
/// not a file, so every replica on the same PostgreSQL signs with the same CA; the private key is sealed.
/// </summary>
public sealed class CertificateAuthorityRow
{
    public required string Name { get; set; }

    public required string CertificatePem { get; set; }

    public required string PrivateKeySealed { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

internal sealed class CertificateAuthorityRowConfiguration : IEntityTypeConfiguration<CertificateAuthorityRow>
{
    public void Configure(EntityTypeBuilder<CertificateAuthorityRow> builder)
    {
        builder.ToTable("certificate_authorities");
        builder.HasKey(c => c.Name);
        builder.Property(c => c.Name).HasMaxLength(63);
    }
}
