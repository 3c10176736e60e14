using Dflare.Persistence.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dflare.Persistence.Network;

/// <summary>An operator's pool of one kind of network number on one fabric: a range (<see cref="Start"/>–<see cref="End"/>)
/// of VRF ids, VNIs, VLAN ids or PKeys, or a prefix cut into subnets of <see cref="BlockLength"/>.</summary>
public sealed class NetworkPoolRow : IVersionedRow
{
    public Guid Id { get; set; }

    public required string Name { get; set; }

    public string Labels { get; set; } = "{}";

    public Guid FabricId { get; set; }

    /// <summary><c>Vrf</c>, <c>L3Vni</c>, <c>L2Vni</c>, <c>Vlan</c>, <c>Ipv4</c>, <c>Ipv6</c> or <c>PKey</c>.</summary>
    public required string Kind { get; set; }

    public long Start { get; set; }

    public long End { get; set; }

    /// <summary>IP pools: the prefix subnets are cut from.</summary>
    public string? Prefix { get; set; }

    /// <summary>IP pools: the length of every subnet cut from <see cref="Prefix"/>.</summary>
    public int BlockLength { get; set; }

    /// <summary>VLAN pools: the leaves the range is valid on (VLAN ids are leaf-local), as a JSON array; empty means all.</summary>
    public string Leaves { get; set; } = "[]";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public long ResourceVersion { get; set; }
}

internal sealed class NetworkPoolRowConfiguration : IEntityTypeConfiguration<NetworkPoolRow>
{
    public void Configure(EntityTypeBuilder<NetworkPoolRow> builder)
    {
        builder.ToTable("network_pools");
        builder.HasKey(p => p.Id);
        builder.Property(p => p.Name).HasMaxLength(63);
        builder.HasIndex(p => p.Name).IsUnique();
        builder.Property(p => p.Kind).HasMaxLength(8);
        builder.Property(p => p.Prefix).HasMaxLength(64);
        builder.HasOne<FabricRow>().WithMany().HasForeignKey(p => p.FabricId).OnDelete(DeleteBehavior.Restrict);
        builder.Property(p => p.ResourceVersion).IsConcurrencyToken();
    }
}
