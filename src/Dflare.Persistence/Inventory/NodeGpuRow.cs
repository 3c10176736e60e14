using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dflare.Persistence.Inventory;

/// <summary>A GPU found in a node by inspection. A serial number belongs to one node at a time.</summary>
public sealed class NodeGpuRow
{
    public Guid NodeId { get; set; }

    public int Index { get; set; }

    /// <summary>The BMC's name for it, e.g. <c>GPU3</c>.</summary>
    public required string Slot { get; set; }

    public required string Model { get; set; }

    public required string SerialNumber { get; set; }
}

internal sealed class NodeGpuRowConfiguration : IEntityTypeConfiguration<NodeGpuRow>
{
    public void Configure(EntityTypeBuilder<NodeGpuRow> builder)
    {
        builder.ToTable("node_gpus");
        builder.HasKey(g => new { g.NodeId, g.Index });
        builder.Property(g => g.Slot).HasMaxLength(64);
        builder.Property(g => g.Model).HasMaxLength(64);
        builder.Property(g => g.SerialNumber).HasMaxLength(128);
        builder.HasIndex(g => g.SerialNumber).IsUnique();
        builder.HasOne<NodeRow>().WithMany().HasForeignKey(g => g.NodeId).OnDelete(DeleteBehavior.Cascade);
    }
}
