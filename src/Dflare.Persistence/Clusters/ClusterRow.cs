using Dflare.Persistence.Store;
using Dflare.Persistence.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dflare.Persistence.Clusters;

/// <summary>A tenant's cluster: the spec as the tenant wrote it, and where its lifecycle stands.</summary>
public sealed class ClusterRow : IVersionedRow
{
    public Guid Id { get; set; }

    public Guid TenantId { get; set; }

    public required string Name { get; set; }

    public string Labels { get; set; } = "{}";

    /// <summary>The tenant's project it belongs to (a foreign key with the tenant).</summary>
    public required string Project { get; set; }

    /// <summary><c>kubernetes</c>, <c>slurm</c> or <c>kubernetes+slurm</c>.</summary>
    public required string Type { get; set; }

    /// <summary>The cluster spec (JSON), as validated.</summary>
    public required string Spec { get; set; }

    /// <summary>The Kubernetes minor version the cluster runs now (the spec says what it should run).</summary>
    public string? RunningVersion { get; set; }

    /// <summary>The cluster runtime that runs it (<c>Simulated</c> or <c>Lab</c>), fixed at creation.</summary>
    public required string Runtime { get; set; }

    /// <summary>The lifecycle phase, by name (ClusterPhases).</summary>
    public required string Phase { get; set; }

    public string? Reason { get; set; }

    /// <summary>The workflow run carrying out the last change.</summary>
    public Guid? Operation { get; set; }

    /// <summary>When the cluster first asked for nodes: its place in the placement queue.</summary>
    public DateTimeOffset RequestedAt { get; set; }

    /// <summary>What the runtime answered once the control plane was up (endpoints, CA, controller address), JSON.</summary>
    public string? Access { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public long ResourceVersion { get; set; }
}

internal sealed class ClusterRowConfiguration : IEntityTypeConfiguration<ClusterRow>
{
    public void Configure(EntityTypeBuilder<ClusterRow> builder)
    {
        builder.ToTable("clusters");
        builder.HasKey(c => c.Id);
        builder.Property(c => c.Name).HasMaxLength(63);
        builder.HasIndex(c => new { c.TenantId, c.Name }).IsUnique();
        builder.Property(c => c.Project).HasMaxLength(63);
        builder.Property(c => c.Type).HasMaxLength(32);
        builder.Property(c => c.RunningVersion).HasMaxLength(16);
        builder.Property(c => c.Runtime).HasMaxLength(16);
        builder.Property(c => c.Phase).HasMaxLength(32);
        builder.HasIndex(c => c.Phase);
        builder.Property(c => c.Reason).HasMaxLength(1024);
        builder.Property(c => c.ResourceVersion).IsConcurrencyToken();
        builder.HasOne<TenantRow>().WithMany().HasForeignKey(c => c.TenantId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<ProjectRow>().WithMany().HasForeignKey(c => new { c.TenantId, c.Project }).HasPrincipalKey(p => new { p.TenantId, p.Name }).OnDelete(DeleteBehavior.Restrict);
    }
}
