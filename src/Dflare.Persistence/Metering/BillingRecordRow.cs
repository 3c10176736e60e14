using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dflare.Persistence.Metering;

/// <summary>
/// One rated hour of one meter for one tenant, project, user and cluster. Append-only: the store's triggers refuse
/// UPDATE and DELETE. A change of what an hour amounts to (a late event) is a <c>Reversal</c> of the earlier charge
/// plus a new <c>Charge</c>; <see cref="Events"/> lists the usage events that produced the charge.
/// </summary>
public sealed class BillingRecordRow
{
    public Guid Id { get; set; }

    /// <summary><c>Charge</c> or <c>Reversal</c>.</summary>
    public required string Kind { get; set; }

    /// <summary>The charge a reversal cancels.</summary>
    public Guid? Reverses { get; set; }

    public required string Tenant { get; set; }

    public required string Project { get; set; }

    /// <summary>Empty when usage is not a person's (a cluster's nodes are the project's).</summary>
    public required string User { get; set; }

    public required string Cluster { get; set; }

    /// <summary>e.g. <c>gpu-hours</c>.</summary>
    public required string Meter { get; set; }

    /// <summary>What the meter is priced by: a GPU model (and MIG profile), a storage tier, a direction.</summary>
    public required string Dimension { get; set; }

    public DateTimeOffset Hour { get; set; }

    /// <summary>In the meter's base unit: unit-seconds for time meters, bytes for network.</summary>
    public decimal Quantity { get; set; }

    /// <summary>Per hour or per GB, after the tenant's discount.</summary>
    public decimal UnitPrice { get; set; }

    /// <summary>Exact (not rounded); invoices round their lines to the cent.</summary>
    public decimal Amount { get; set; }

    public required string Currency { get; set; }

    public required string PriceBook { get; set; }

    /// <summary>The (source, id) of every usage event that produced the charge, as JSON.</summary>
    public required string Events { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

internal sealed class BillingRecordRowConfiguration : IEntityTypeConfiguration<BillingRecordRow>
{
    public void Configure(EntityTypeBuilder<BillingRecordRow> builder)
    {
        builder.ToTable("billing_records");
        builder.HasKey(r => r.Id);
        builder.Property(r => r.Kind).HasMaxLength(16);
        builder.Property(r => r.Tenant).HasMaxLength(63);
        builder.Property(r => r.Project).HasMaxLength(63);
        builder.Property(r => r.User).HasMaxLength(128);
        builder.Property(r => r.Cluster).HasMaxLength(63);
        builder.Property(r => r.Meter).HasMaxLength(32);
        builder.Property(r => r.Dimension).HasMaxLength(128);
        builder.Property(r => r.Currency).HasMaxLength(3);
        builder.Property(r => r.PriceBook).HasMaxLength(128);
        builder.Property(r => r.Quantity).HasPrecision(38, 12);
        builder.Property(r => r.UnitPrice).HasPrecision(38, 12);
        builder.Property(r => r.Amount).HasPrecision(38, 12);
        builder.HasIndex(r => new { r.Tenant, r.Hour });
        // A charge is reversed at most once.
        builder.HasIndex(r => r.Reverses).IsUnique();
    }
}
