using Dflare.Persistence.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dflare.Persistence.Inventory;

/// <summary>A rack in a site, with the leaf switches its nodes are cabled to.</summary>
public sealed class RackRow : IVersionedRow
{
    public Guid Id { get; set; }

    public required string Name { get; set; }

    /// <summary>The site's name; a foreign key, so a rack cannot name a site that does not exist.</summary>
    public required string Site { get; set; }

    /// <summary>Position in the site's layout, e.g. row and column ("A-07").</summary>
    public string? Position { get; set; }

    public string? EthernetLeaf { get; set; }

    public string? InfinibandLeaf { get; set; }

    public string Labels { get; set; } = "{}";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public long ResourceVersion { get; set; }
}

internal sealed class RackRowConfiguration : IEntityTypeConfiguration<RackRow>
{
    public void Configure(EntityTypeBuilder<RackRow> builder)
    {
        builder.ToTable("racks");
        builder.HasKey(r => r.Id);
        builder.Property(r => r.Name).HasMaxLength(63);
        builder.HasIndex(r => r.Name).IsUnique();
        builder.Property(r => r.Site).HasMaxLength(63);
        builder.Property(r => r.Position).HasMaxLength(64);
        builder.Property(r => r.EthernetLeaf).HasMaxLength(63);
        builder.Property(r => r.InfinibandLeaf).HasMaxLength(63);
        builder.Property(r => r.ResourceVersion).IsConcurrencyToken();
        // A site cannot be deleted while racks stand in it; a rack cannot name a missing site.
        builder.HasOne<SiteRow>().WithMany().HasForeignKey(r => r.Site).HasPrincipalKey(s => s.Name).OnDelete(DeleteBehavior.Restrict);
    }
}
