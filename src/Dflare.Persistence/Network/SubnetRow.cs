using Dflare.Persistence.Store;
using Dflare.Persistence.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dflare.Persistence.Network;

/// <summary>A subnet of a VPC: a CIDR (and optionally an IPv6 /64), an L2 VNI, a VLAN id per leaf, and its ingress ACL.</summary>
public sealed class SubnetRow : IVersionedRow
{
    public Guid Id { get; set; }

    public Guid TenantId { get; set; }

    public required string Name { get; set; }

    public string Labels { get; set; } = "{}";

    public Guid VpcId { get; set; }

    public required string Cidr { get; set; }

    public string? Ipv6Cidr { get; set; }

    public int L2Vni { get; set; }

    /// <summary>The VLAN id on each leaf (VLAN ids are leaf-local), as a JSON object.</summary>
    public string Vlans { get; set; } = "{}";

    /// <summary>Ingress rules from other subnets and from outside the VPC, as JSON.</summary>
    public string Ingress { get; set; } = "[]";

    /// <summary><c>Allow</c> or <c>Deny</c>: what routed traffic into the subnet meets when no rule matches.</summary>
    public required string IngressDefault { get; set; }

    public required string Phase { get; set; }

    public string? Reason { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public long ResourceVersion { get; set; }
}

internal sealed class SubnetRowConfiguration : IEntityTypeConfiguration<SubnetRow>
{
    public void Configure(EntityTypeBuilder<SubnetRow> builder)
    {
        builder.ToTable("subnets");
        builder.HasKey(s => s.Id);
        builder.Property(s => s.Name).HasMaxLength(63);
        builder.HasIndex(s => new { s.TenantId, s.Name }).IsUnique();
        builder.Property(s => s.Cidr).HasMaxLength(64);
        builder.Property(s => s.Ipv6Cidr).HasMaxLength(64);
        builder.Property(s => s.IngressDefault).HasMaxLength(8);
        builder.Property(s => s.Phase).HasMaxLength(16);
        builder.Property(s => s.Reason).HasMaxLength(1024);
        builder.HasOne<TenantRow>().WithMany().HasForeignKey(s => s.TenantId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<VpcRow>().WithMany().HasForeignKey(s => s.VpcId).OnDelete(DeleteBehavior.Restrict);
        builder.Property(s => s.ResourceVersion).IsConcurrencyToken();
    }
}
