using Dflare.Persistence.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dflare.Persistence.Volumes;

/// <summary>A storage backend as the operator registered it: a tier, the driver that serves it, where, and its limits.</summary>
public sealed class StorageBackendRow : IVersionedRow
{
    public Guid Id { get; set; }

    public required string Name { get; set; }

    public string Labels { get; set; } = "{}";

    /// <summary><c>HighPerformance</c> (parallel filesystem over InfiniBand) or <c>Platform</c> (file and object over Ethernet).</summary>
    public required string Tier { get; set; }

    /// <summary><c>Simulated</c>, <c>Posix</c>, <c>Lustre</c> or <c>Nfs</c>.</summary>
    public required string Driver { get; set; }

    /// <summary>The POSIX root, the Lustre mount point on the admin node, or the NFS export root.</summary>
    public required string Path { get; set; }

    /// <summary>Lustre: the filesystem name and the MGS NID; NFS: the server; as JSON.</summary>
    public string Settings { get; set; } = "{}";

    public long CapacityBytes { get; set; }

    public long DefaultVolumeBytes { get; set; }

    /// <summary>The most one tenant's volumes on this backend may add up to.</summary>
    public long MaxBytesPerTenant { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public long ResourceVersion { get; set; }
}

internal sealed class StorageBackendRowConfiguration : IEntityTypeConfiguration<StorageBackendRow>
{
    public void Configure(EntityTypeBuilder<StorageBackendRow> builder)
    {
        builder.ToTable("storage_backends");
        builder.HasKey(b => b.Id);
        builder.Property(b => b.Name).HasMaxLength(63);
        builder.HasIndex(b => b.Name).IsUnique();
        builder.Property(b => b.Tier).HasMaxLength(16);
        builder.Property(b => b.Driver).HasMaxLength(16);
        builder.Property(b => b.Path).HasMaxLength(1024);
        builder.Property(b => b.ResourceVersion).IsConcurrencyToken();
    }
}
