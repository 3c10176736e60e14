using Dflare.Persistence.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dflare.Persistence.Tenancy;

/// <summary>A tenant as stored: an organisation that owns projects and, later, clusters, volumes and networks.</summary>
public sealed class TenantRow : IVersionedRow
{
    public Guid Id { get; set; }

    public required string Name { get; set; }

    public string? DisplayName { get; set; }

    public string? Description { get; set; }

    public string? ContactEmail { get; set; }

    /// <summary>Labels as a JSON object of strings.</summary>
    public string Labels { get; set; } = "{}";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public long ResourceVersion { get; set; }
}

internal sealed class TenantRowConfiguration : IEntityTypeConfiguration<TenantRow>
{
    public void Configure(EntityTypeBuilder<TenantRow> builder)
    {
        builder.ToTable("tenants");
        builder.HasKey(t => t.Id);
        builder.Property(t => t.Name).HasMaxLength(63);
        builder.HasIndex(t => t.Name).IsUnique();
        builder.Property(t => t.DisplayName).HasMaxLength(128);
        builder.Property(t => t.Description).HasMaxLength(1024);
        builder.Property(t => t.ContactEmail).HasMaxLength(254);
        builder.Property(t => t.ResourceVersion).IsConcurrencyToken();
    }
}
