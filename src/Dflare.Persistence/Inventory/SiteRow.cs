using Dflare.Persistence.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dflare.Persistence.Inventory;

/// <summary>A datacenter site: the place racks stand in.</summary>
public sealed class SiteRow : IVersionedRow
{
    public Guid Id { get; set; }

    public required string Name { get; set; }

    public string? DisplayName { get; set; }

    public string? Location { get; set; }

    public string Labels { get; set; } = "{}";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public long ResourceVersion { get; set; }
}

internal sealed class SiteRowConfiguration : IEntityTypeConfiguration<SiteRow>
{
    public void Configure(EntityTypeBuilder<SiteRow> builder)
    {
        builder.ToTable("sites");
        builder.HasKey(s => s.Id);
        builder.Property(s => s.Name).HasMaxLength(63);
        builder.HasAlternateKey(s => s.Name);
        builder.Property(s => s.DisplayName).HasMaxLength(128);
        builder.Property(s => s.Location).HasMaxLength(256);
        builder.Property(s => s.ResourceVersion).IsConcurrencyToken();
    }
}
