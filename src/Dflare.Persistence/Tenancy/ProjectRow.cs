using Dflare.Persistence.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dflare.Persistence.Tenancy;

/// <summary>A project as stored: a tenant's unit of ownership, quota and billing attribution.</summary>
public sealed class ProjectRow : IVersionedRow
{
    public Guid Id { get; set; }

    public Guid TenantId { get; set; }

    public required string Name { get; set; }

    public string? DisplayName { get; set; }

    public string? Description { get; set; }

    /// <summary>Labels as a JSON object of strings.</summary>
    public string Labels { get; set; } = "{}";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public long ResourceVersion { get; set; }
}

internal sealed class ProjectRowConfiguration : IEntityTypeConfiguration<ProjectRow>
{
    public void Configure(EntityTypeBuilder<ProjectRow> builder)
    {
        builder.ToTable("projects");
        builder.HasKey(p => p.Id);
        builder.Property(p => p.Name).HasMaxLength(63);
        // A project name is unique inside its tenant; two tenants may both have "research".
        builder.HasIndex(p => new { p.TenantId, p.Name }).IsUnique();
        builder.Property(p => p.DisplayName).HasMaxLength(128);
        builder.Property(p => p.Description).HasMaxLength(1024);
        builder.Property(p => p.ResourceVersion).IsConcurrencyToken();
        // A tenant cannot vanish under its projects: deleting one that still has projects is refused by the store.
        builder.HasOne<TenantRow>().WithMany().HasForeignKey(p => p.TenantId).OnDelete(DeleteBehavior.Restrict);
    }
}
