using Dflare.Persistence.Store;
using Dflare.Persistence.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dflare.Persistence.Network;

/// <summary>A tenant's VPC: a VRF with its L3 VNI on one Ethernet fabric, optionally an address range its subnets are cut from.</summary>
public sealed class VpcRow : IVersionedRow
{
    public Guid Id { get; set; }

    public Guid TenantId { get; set; }

    public required string Name { get; set; }

    public string Labels { get; set; } = "{}";

    public required string Project { get; set; }

    public Guid FabricId { get; set; }

    /// <summary>The tenant's own range (may overlap other tenants'); null: subnets come from the operator's pools.</summary>
    public string? Cidr { get; set; }

    /// <summary>The InfiniBand fabric whose tenant partition this VPC's nodes join; null for none.</summary>
    public Guid? InfinibandFabricId { get; set; }

    public int VrfId { get; set; }

    public int L3Vni { get; set; }

    public required string Phase { get; set; }

    public string? Reason { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public long ResourceVersion { get; set; }
}

internal sealed class VpcRowConfiguration : IEntityTypeConfiguration<VpcRow>
{
    public void Configure(EntityTypeBuilder<VpcRow> builder)
    {
        builder.ToTable("vpcs");
        builder.HasKey(v => v.Id);
        builder.Property(v => v.Name).HasMaxLength(63);
        builder.HasIndex(v => new { v.TenantId, v.Name }).IsUnique();
        builder.Property(v => v.Project).HasMaxLength(63);
        builder.Property(v => v.Cidr).HasMaxLength(64);
        builder.Property(v => v.Phase).HasMaxLength(16);
        builder.Property(v => v.Reason).HasMaxLength(1024);
        builder.HasOne<TenantRow>().WithMany().HasForeignKey(v => v.TenantId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<FabricRow>().WithMany().HasForeignKey(v => v.FabricId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<FabricRow>().WithMany().HasForeignKey(v => v.InfinibandFabricId).OnDelete(DeleteBehavior.Restrict);
        builder.Property(v => v.ResourceVersion).IsConcurrencyToken();
    }
}
