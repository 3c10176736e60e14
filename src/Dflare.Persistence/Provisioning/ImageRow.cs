using Dflare.Persistence.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dflare.Persistence.Provisioning;

/// <summary>A golden image in the catalog: what a node boots into, and the checksum the node verifies before writing it.</summary>
public sealed class ImageRow : IVersionedRow
{
    public Guid Id { get; set; }

    public required string Name { get; set; }

    public required string Os { get; set; }

    public required string Kernel { get; set; }

    public required string GpuDriver { get; set; }

    public required string Cuda { get; set; }

    /// <summary>Where the node's deploy stage downloads it from.</summary>
    public required string Url { get; set; }

    /// <summary>Lower-case hex SHA-256 of the image.</summary>
    public required string Sha256 { get; set; }

    public string Labels { get; set; } = "{}";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public long ResourceVersion { get; set; }
}

internal sealed class ImageRowConfiguration : IEntityTypeConfiguration<ImageRow>
{
    public void Configure(EntityTypeBuilder<ImageRow> builder)
    {
        builder.ToTable("images");
        builder.HasKey(i => i.Id);
        builder.Property(i => i.Name).HasMaxLength(63);
        builder.HasIndex(i => i.Name).IsUnique();
        builder.Property(i => i.Os).HasMaxLength(64);
        builder.Property(i => i.Kernel).HasMaxLength(64);
        builder.Property(i => i.GpuDriver).HasMaxLength(64);
        builder.Property(i => i.Cuda).HasMaxLength(32);
        builder.Property(i => i.Url).HasMaxLength(1024);
        builder.Property(i => i.Sha256).HasMaxLength(64);
        builder.Property(i => i.ResourceVersion).IsConcurrencyToken();
    }
}
