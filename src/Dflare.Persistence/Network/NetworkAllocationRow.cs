using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dflare.Persistence.Network;

/// <summary>
/// One value taken from a pool: a VRF id, VNI, VLAN id on one leaf, PKey, or the index of a subnet block. The unique
/// index on (pool, scope, value) is what makes two owners never hold the same value, whatever the code above does.
/// </summary>
public sealed class NetworkAllocationRow
{
    public Guid Id { get; set; }

    public Guid PoolId { get; set; }

    /// <summary>The leaf for VLAN ids; empty for fabric-wide values.</summary>
    public string Scope { get; set; } = "";

    public long Value { get; set; }

    /// <summary>The VPC, subnet or partition holding it; releasing an owner deletes its rows.</summary>
    public Guid OwnerId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

internal sealed class NetworkAllocationRowConfiguration : IEntityTypeConfiguration<NetworkAllocationRow>
{
    public void Configure(EntityTypeBuilder<NetworkAllocationRow> builder)
    {
        builder.ToTable("network_allocations");
        builder.HasKey(a => a.Id);
        builder.Property(a => a.Scope).HasMaxLength(63);
        builder.HasIndex(a => new { a.PoolId, a.Scope, a.Value }).IsUnique();
        builder.HasIndex(a => a.OwnerId);
        builder.HasOne<NetworkPoolRow>().WithMany().HasForeignKey(a => a.PoolId).OnDelete(DeleteBehavior.Restrict);
    }
}
