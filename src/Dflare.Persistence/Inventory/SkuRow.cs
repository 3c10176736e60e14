using Dflare.Persistence.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dflare.Persistence.Inventory;

/// <summary>A node model: what inspection checks a node against, and what placement counts.</summary>
public sealed class SkuRow : IVersionedRow
{
    public Guid Id { get; set; }

    public required string Name { get; set; }

    public required string GpuModel { get; set; }

    public int GpuCount { get; set; }

    public bool MigCapable { get; set; }

    public int Cpus { get; set; }

    public int MemoryGiB { get; set; }

    public int Nics { get; set; }

    public int Hcas { get; set; }

    public string Labels { get; set; } = "{}";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public long ResourceVersion { get; set; }
}

internal sealed class SkuRowConfiguration : IEntityTypeConfiguration<SkuRow>
{
    public void Configure(EntityTypeBuilder<SkuRow> builder)
    {
        builder.ToTable("skus");
        builder.HasKey(s => s.Id);
        builder.Property(s => s.Name).HasMaxLength(63);
        builder.HasIndex(s => s.Name).IsUnique();
        builder.Property(s => s.GpuModel).HasMaxLength(64);
        builder.Property(s => s.ResourceVersion).IsConcurrencyToken();
    }
}
