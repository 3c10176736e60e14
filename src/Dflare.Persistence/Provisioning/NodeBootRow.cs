using Dflare.Persistence.Inventory;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dflare.Persistence.Provisioning;

/// <summary>
/// The boot a provisioning run prepared for a node: the image and the cloud-init NoCloud seed the node fetches after
/// PXE, and what the node reported back. One per node; the next provisioning run replaces it.
/// </summary>
public sealed class NodeBootRow
{
    public Guid NodeId { get; set; }

    public Guid RunId { get; set; }

    public required string Image { get; set; }

    /// <summary>The <c>#cloud-config</c> user-data, sealed: it carries the one-time bootstrap token.</summary>
    public required string UserDataSealed { get; set; }

    public required string MetaData { get; set; }

    public required string NetworkConfig { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When the node first fetched its user-data (its deploy stage is running).</summary>
    public DateTimeOffset? SeedFetchedAt { get; set; }

    /// <summary>When cloud-init on the node finished and phoned home (its <c>phone_home</c> module).</summary>
    public DateTimeOffset? CloudInitFinishedAt { get; set; }

    /// <summary>A stage the node reported as failed (<c>pxe</c>, <c>image</c>, <c>cloud-init</c>) and why.</summary>
    public string? FailedStage { get; set; }

    public string? FailureReason { get; set; }
}

internal sealed class NodeBootRowConfiguration : IEntityTypeConfiguration<NodeBootRow>
{
    public void Configure(EntityTypeBuilder<NodeBootRow> builder)
    {
        builder.ToTable("node_boots");
        builder.HasKey(b => b.NodeId);
        builder.Property(b => b.Image).HasMaxLength(63);
        builder.Property(b => b.FailedStage).HasMaxLength(32);
        builder.Property(b => b.FailureReason).HasMaxLength(1024);
        builder.HasOne<NodeRow>().WithOne().HasForeignKey<NodeBootRow>(b => b.NodeId).OnDelete(DeleteBehavior.Cascade);
    }
}
