using Dflare.Persistence.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dflare.Persistence.Network;

/// <summary>A tenant's InfiniBand partition on one IB fabric (one per tenant and fabric, by the store's index).</summary>
public sealed class PartitionRow
{
    public Guid Id { get; set; }

    public Guid TenantId { get; set; }

    public Guid FabricId { get; set; }

    public int PKey { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>An HCA port GUID in a partition, with full or limited membership.</summary>
public sealed class PartitionMemberRow
{
    public Guid Id { get; set; }

    public Guid PartitionId { get; set; }

    public required string PortGuid { get; set; }

    public required string Node { get; set; }

    /// <summary><c>Full</c> or <c>Limited</c>.</summary>
    public required string Membership { get; set; }
}

internal sealed class PartitionRowConfiguration : IEntityTypeConfiguration<PartitionRow>
{
    public void Configure(EntityTypeBuilder<PartitionRow> builder)
    {
        builder.ToTable("ib_partitions");
        builder.HasKey(p => p.Id);
        builder.HasIndex(p => new { p.TenantId, p.FabricId }).IsUnique();
        builder.HasIndex(p => new { p.FabricId, p.PKey }).IsUnique();
        builder.HasOne<TenantRow>().WithMany().HasForeignKey(p => p.TenantId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<FabricRow>().WithMany().HasForeignKey(p => p.FabricId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class PartitionMemberRowConfiguration : IEntityTypeConfiguration<PartitionMemberRow>
{
    public void Configure(EntityTypeBuilder<PartitionMemberRow> builder)
    {
        builder.ToTable("ib_partition_members");
        builder.HasKey(m => m.Id);
        builder.Property(m => m.PortGuid).HasMaxLength(18);
        builder.Property(m => m.Node).HasMaxLength(63);
        builder.Property(m => m.Membership).HasMaxLength(8);
        builder.HasIndex(m => new { m.PartitionId, m.PortGuid }).IsUnique();
        builder.HasOne<PartitionRow>().WithMany().HasForeignKey(m => m.PartitionId).OnDelete(DeleteBehavior.Cascade);
    }
}
