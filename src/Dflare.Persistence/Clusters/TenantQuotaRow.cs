using Dflare.Persistence.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dflare.Persistence.Clusters;

/// <summary>How many GPUs of a model a tenant's clusters may hold at once. No row: no limit.</summary>
public sealed class TenantQuotaRow
{
    public Guid TenantId { get; set; }

    public required string GpuModel { get; set; }

    public int MaxGpus { get; set; }
}

/// <summary>The one row placement passes lock, so that two passes (two workers, two replicas) never decide at once.</summary>
public sealed class PlacementLockRow
{
    public int Id { get; set; }

    public long Passes { get; set; }
}

internal sealed class TenantQuotaRowConfiguration : IEntityTypeConfiguration<TenantQuotaRow>
{
    public void Configure(EntityTypeBuilder<TenantQuotaRow> builder)
    {
        builder.ToTable("tenant_quotas");
        builder.HasKey(q => new { q.TenantId, q.GpuModel });
        builder.Property(q => q.GpuModel).HasMaxLength(63);
        builder.HasOne<TenantRow>().WithMany().HasForeignKey(q => q.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class PlacementLockRowConfiguration : IEntityTypeConfiguration<PlacementLockRow>
{
    public void Configure(EntityTypeBuilder<PlacementLockRow> builder)
    {
        builder.ToTable("placement_lock");
        builder.HasKey(l => l.Id);
        builder.Property(l => l.Id).ValueGeneratedNever();
        builder.HasData(new PlacementLockRow { Id = 1, Passes = 0 });
    }
}
