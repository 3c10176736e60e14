using Dflare.Persistence.Store;
using Dflare.Persistence.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dflare.Persistence.Volumes;

/// <summary>A tenant's volume: where it lives, its quota and who may use it, and what the backend last reported.</summary>
public sealed class VolumeRow : IVersionedRow
{
    public Guid Id { get; set; }

    public Guid TenantId { get; set; }

    public required string Name { get; set; }

    public string Labels { get; set; } = "{}";

    /// <summary>The project it belongs to (a reference to the tenant's project by name).</summary>
    public required string Project { get; set; }

    /// <summary>The storage backend it lives on (by name).</summary>
    public required string Backend { get; set; }

    public long SizeBytes { get; set; }

    public long Inodes { get; set; }

    /// <summary><c>ReadWriteMany</c> or <c>ReadOnlyMany</c>.</summary>
    public required string AccessMode { get; set; }

    public required string MountPath { get; set; }

    /// <summary>JSON array of ACL entries (principal, id, access).</summary>
    public string Acl { get; set; } = "[]";

    /// <summary>JSON object: the clusters and nodes that may mount it.</summary>
    public string AccessMap { get; set; } = """{"clusters":[],"nodes":[]}""";

    /// <summary><c>Pending</c>, <c>Ready</c> or <c>Failed</c>.</summary>
    public required string Phase { get; set; }

    public string? Reason { get; set; }

    public string? Location { get; set; }

    public long UsedBytes { get; set; }

    public long UsedInodes { get; set; }

    public bool WritesStopped { get; set; }

    public DateTimeOffset? UsageAt { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public long ResourceVersion { get; set; }
}

internal sealed class VolumeRowConfiguration : IEntityTypeConfiguration<VolumeRow>
{
    public void Configure(EntityTypeBuilder<VolumeRow> builder)
    {
        builder.ToTable("volumes");
        builder.HasKey(v => v.Id);
        builder.Property(v => v.Name).HasMaxLength(63);
        builder.HasIndex(v => new { v.TenantId, v.Name }).IsUnique();
        builder.Property(v => v.Project).HasMaxLength(63);
        builder.Property(v => v.Backend).HasMaxLength(63);
        builder.Property(v => v.AccessMode).HasMaxLength(16);
        builder.Property(v => v.MountPath).HasMaxLength(512);
        builder.Property(v => v.Phase).HasMaxLength(16);
        builder.Property(v => v.Reason).HasMaxLength(1024);
        builder.Property(v => v.Location).HasMaxLength(1024);
        builder.Property(v => v.ResourceVersion).IsConcurrencyToken();
        // Neither the tenant, its project nor the backend can vanish under a volume: the store refuses.
        builder.HasOne<TenantRow>().WithMany().HasForeignKey(v => v.TenantId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<ProjectRow>().WithMany().HasForeignKey(v => new { v.TenantId, v.Project }).HasPrincipalKey(p => new { p.TenantId, p.Name }).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<StorageBackendRow>().WithMany().HasForeignKey(v => v.Backend).HasPrincipalKey(b => b.Name).OnDelete(DeleteBehavior.Restrict);
    }
}
