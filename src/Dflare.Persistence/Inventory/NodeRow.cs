using Dflare.Persistence.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dflare.Persistence.Inventory;

/// <summary>A bare-metal node: where it stands, what model it is, how to reach its BMC, and where it is in its life.</summary>
public sealed class NodeRow : IVersionedRow
{
    public Guid Id { get; set; }

    public required string Name { get; set; }

    /// <summary>The rack's name (a foreign key).</summary>
    public required string Rack { get; set; }

    /// <summary>The SKU's name (a foreign key).</summary>
    public required string Sku { get; set; }

    /// <summary>Position in the rack, in rack units from the bottom.</summary>
    public int? RackUnit { get; set; }

    public required string BmcAddress { get; set; }

    public required string BmcUsername { get; set; }

    /// <summary>The BMC password sealed by the secret protector (<c>v1:{key}:{…}</c>); never stored in clear.</summary>
    public required string BmcPasswordSealed { get; set; }

    /// <summary>The node state machine's state, by name. Only workflow steps change it.</summary>
    public required string State { get; set; }

    /// <summary>The golden image to provision (a foreign key to the catalog); null until an operator picks one,
    /// in which case provisioning uses the catalog's default.</summary>
    public string? Image { get; set; }

    /// <summary>Why the node is in its state, when that needs saying (a failure's reason).</summary>
    public string? StateReason { get; set; }

    public string Labels { get; set; } = "{}";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public long ResourceVersion { get; set; }
}

internal sealed class NodeRowConfiguration : IEntityTypeConfiguration<NodeRow>
{
    public void Configure(EntityTypeBuilder<NodeRow> builder)
    {
        builder.ToTable("nodes");
        builder.HasKey(n => n.Id);
        builder.Property(n => n.Name).HasMaxLength(63);
        builder.HasIndex(n => n.Name).IsUnique();
        builder.Property(n => n.Rack).HasMaxLength(63);
        builder.Property(n => n.Sku).HasMaxLength(63);
        builder.Property(n => n.BmcAddress).HasMaxLength(512);
        // Two nodes never share a BMC: enrolling the same machine twice is refused by the store.
        builder.HasIndex(n => n.BmcAddress).IsUnique();
        builder.Property(n => n.BmcUsername).HasMaxLength(128);
        builder.Property(n => n.BmcPasswordSealed).HasMaxLength(1024);
        builder.Property(n => n.State).HasMaxLength(32);
        builder.HasIndex(n => n.State);
        builder.Property(n => n.StateReason).HasMaxLength(1024);
        builder.Property(n => n.Image).HasMaxLength(63);
        builder.HasOne<Provisioning.ImageRow>().WithMany().HasForeignKey(n => n.Image).HasPrincipalKey(i => i.Name).OnDelete(DeleteBehavior.Restrict);
        builder.Property(n => n.ResourceVersion).IsConcurrencyToken();
        builder.HasOne<RackRow>().WithMany().HasForeignKey(n => n.Rack).HasPrincipalKey(r => r.Name).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<SkuRow>().WithMany().HasForeignKey(n => n.Sku).HasPrincipalKey(s => s.Name).OnDelete(DeleteBehavior.Restrict);
    }
}
