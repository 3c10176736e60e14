using Dflare.Persistence.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dflare.Persistence.Metering;

/// <summary>Prices per meter and dimension from a date on, for every tenant or (an override) for one, with a discount.</summary>
public sealed class PriceBookRow : IVersionedRow
{
    public Guid Id { get; set; }

    public required string Name { get; set; }

    public string Labels { get; set; } = "{}";

    public required string Currency { get; set; }

    public DateTimeOffset EffectiveFrom { get; set; }

    /// <summary>Null: the platform's prices; otherwise this tenant's override.</summary>
    public string? Tenant { get; set; }

    public decimal DiscountPercent { get; set; }

    /// <summary>Price entries (meter, dimension or <c>*</c>, unit price), as JSON.</summary>
    public string Prices { get; set; } = "[]";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public long ResourceVersion { get; set; }
}

internal sealed class PriceBookRowConfiguration : IEntityTypeConfiguration<PriceBookRow>
{
    public void Configure(EntityTypeBuilder<PriceBookRow> builder)
    {
        builder.ToTable("price_books");
        builder.HasKey(p => p.Id);
        builder.Property(p => p.Name).HasMaxLength(63);
        builder.HasIndex(p => p.Name).IsUnique();
        builder.Property(p => p.Currency).HasMaxLength(3);
        builder.Property(p => p.Tenant).HasMaxLength(63);
        builder.Property(p => p.DiscountPercent).HasPrecision(9, 4);
        builder.Property(p => p.ResourceVersion).IsConcurrencyToken();
    }
}
