using Dflare.Persistence.Volumes;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dflare.Persistence.Clusters;

/// <summary>A volume a cluster mounts on its nodes (recorded once the cluster's storage step ran). While one exists
/// the volume cannot be deleted unless the delete is forced.</summary>
public sealed class ClusterMountRow
{
    public Guid ClusterId { get; set; }

    public Guid VolumeId { get; set; }

    public required string MountPath { get; set; }

    public bool ReadOnly { get; set; }
}

internal sealed class ClusterMountRowConfiguration : IEntityTypeConfiguration<ClusterMountRow>
{
    public void Configure(EntityTypeBuilder<ClusterMountRow> builder)
    {
        builder.ToTable("cluster_mounts");
        builder.HasKey(m => new { m.ClusterId, m.VolumeId });
        builder.HasIndex(m => m.VolumeId);
        builder.Property(m => m.MountPath).HasMaxLength(512);
        builder.HasOne<ClusterRow>().WithMany().HasForeignKey(m => m.ClusterId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<VolumeRow>().WithMany().HasForeignKey(m => m.VolumeId).OnDelete(DeleteBehavior.Cascade);
    }
}
