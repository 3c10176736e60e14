using Dflare.Persistence.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dflare.Persistence.Network;

/// <summary>An Ethernet or InfiniBand fabric as the operator registered it; its switches, cabling and HCAs are the spec (JSON).</summary>
public sealed class FabricRow : IVersionedRow
{
    public Guid Id { get; set; }

    public required string Name { get; set; }

    public string Labels { get; set; } = "{}";

    /// <summary><c>Ethernet</c> or <c>InfiniBand</c>.</summary>
    public required string Type { get; set; }

    /// <summary><c>Simulated</c> or <c>Lab</c>.</summary>
    public required string Driver { get; set; }

    /// <summary>Switches, links, HCAs and the subnet manager, as JSON.</summary>
    public string Spec { get; set; } = "{}";

    /// <summary>When the fabric last matched what the store wants, and why it did not the last time it failed.</summary>
    public DateTimeOffset? SyncedAt { get; set; }

    public string? SyncError { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public long ResourceVersion { get; set; }
}

internal sealed class FabricRowConfiguration : IEntityTypeConfiguration<FabricRow>
{
    public void Configure(EntityTypeBuilder<FabricRow> builder)
    {
        builder.ToTable("fabrics");
        builder.HasKey(f => f.Id);
        builder.Property(f => f.Name).HasMaxLength(63);
        builder.HasIndex(f => f.Name).IsUnique();
        builder.Property(f => f.Type).HasMaxLength(16);
        builder.Property(f => f.Driver).HasMaxLength(16);
        builder.Property(f => f.SyncError).HasMaxLength(2048);
        builder.Property(f => f.ResourceVersion).IsConcurrencyToken();
    }
}
