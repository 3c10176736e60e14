using Dflare.Persistence.Inventory;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dflare.Persistence.Clusters;

/// <summary>A node given to a cluster's pool. The unique index on the node is the store's guarantee that no node is
/// ever allocated to two clusters, whatever the code above it does.</summary>
public sealed class NodeAllocationRow
{
    public Guid Id { get; set; }

    public Guid NodeId { get; set; }

    public required string Node { get; set; }

    public Guid ClusterId { get; set; }

    public Guid TenantId { get; set; }

    public required string Pool { get; set; }

    public required string GpuModel { get; set; }

    public int Gpus { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

internal sealed class NodeAllocationRowConfiguration : IEntityTypeConfiguration<NodeAllocationRow>
{
    public void Configure(EntityTypeBuilder<NodeAllocationRow> builder)
    {
        builder.ToTable("node_allocations");
        builder.HasKey(a => a.Id);
        builder.HasIndex(a => a.NodeId).IsUnique();
        builder.HasIndex(a => a.ClusterId);
        builder.HasIndex(a => a.TenantId);
        builder.Property(a => a.Node).HasMaxLength(63);
        builder.Property(a => a.Pool).HasMaxLength(63);
        builder.Property(a => a.GpuModel).HasMaxLength(63);
        builder.HasOne<NodeRow>().WithMany().HasForeignKey(a => a.NodeId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<ClusterRow>().WithMany().HasForeignKey(a => a.ClusterId).OnDelete(DeleteBehavior.Restrict);
    }
}
