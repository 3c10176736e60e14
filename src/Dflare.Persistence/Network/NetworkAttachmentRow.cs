using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dflare.Persistence.Network;

/// <summary>A node NIC on a subnet: the leaf port it is cabled to, and the address IPAM gave it (unique in the subnet by
/// the store's index).</summary>
public sealed class NetworkAttachmentRow
{
    public Guid Id { get; set; }

    public Guid SubnetId { get; set; }

    public required string Node { get; set; }

    public required string Nic { get; set; }

    public required string Leaf { get; set; }

    public required string Port { get; set; }

    public required string Address { get; set; }

    public string? Ipv6Address { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

internal sealed class NetworkAttachmentRowConfiguration : IEntityTypeConfiguration<NetworkAttachmentRow>
{
    public void Configure(EntityTypeBuilder<NetworkAttachmentRow> builder)
    {
        builder.ToTable("network_attachments");
        builder.HasKey(a => a.Id);
        builder.Property(a => a.Node).HasMaxLength(63);
        builder.Property(a => a.Nic).HasMaxLength(15);
        builder.Property(a => a.Leaf).HasMaxLength(63);
        builder.Property(a => a.Port).HasMaxLength(63);
        builder.Property(a => a.Address).HasMaxLength(64);
        builder.Property(a => a.Ipv6Address).HasMaxLength(64);
        builder.HasIndex(a => new { a.SubnetId, a.Address }).IsUnique();
        builder.HasIndex(a => new { a.SubnetId, a.Node }).IsUnique();
        // An untagged NIC is in one segment only.
        builder.HasIndex(a => new { a.Node, a.Nic }).IsUnique();
        // A subnet with nodes on it cannot be deleted: detach them first.
        builder.HasOne<SubnetRow>().WithMany().HasForeignKey(a => a.SubnetId).OnDelete(DeleteBehavior.Restrict);
    }
}
