using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dflare.Persistence.Identity;

/// <summary>One key of ASP.NET Core Data Protection's key ring (it encrypts the portal's sign-in cookies), kept in the
/// store so every control-plane replica reads the same ring; its XML is sealed with the secrets key.</summary>
public sealed class DataProtectionKeyRow
{
    public Guid Id { get; set; }

    public required string FriendlyName { get; set; }

    /// <summary>The key's XML, sealed by the secret protector.</summary>
    public required string SealedXml { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

internal sealed class DataProtectionKeyRowConfiguration : IEntityTypeConfiguration<DataProtectionKeyRow>
{
    public void Configure(EntityTypeBuilder<DataProtectionKeyRow> builder)
    {
        builder.ToTable("data_protection_keys");
        builder.HasKey(k => k.Id);
        builder.Property(k => k.FriendlyName).HasMaxLength(128);
    }
}
