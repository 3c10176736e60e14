using Dflare.Persistence.Store;
using Dflare.Persistence.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dflare.Persistence.Metering;

/// <summary>A monthly budget for a tenant or one of its projects, with the percentages that raise an alert.</summary>
public sealed class BudgetRow : IVersionedRow
{
    public Guid Id { get; set; }

    public Guid TenantId { get; set; }

    public required string Name { get; set; }

    public string Labels { get; set; } = "{}";

    /// <summary>Null: the whole tenant.</summary>
    public string? Project { get; set; }

    public decimal Amount { get; set; }

    public required string Currency { get; set; }

    /// <summary>Percentages of <see cref="Amount"/>, as JSON.</summary>
    public string Thresholds { get; set; } = "[]";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public long ResourceVersion { get; set; }
}

/// <summary>A threshold a budget crossed in a month: raised once (the unique index), never again that month.</summary>
public sealed class BudgetAlertRow
{
    public Guid Id { get; set; }

    public Guid BudgetId { get; set; }

    /// <summary><c>yyyy-MM</c>.</summary>
    public required string Period { get; set; }

    public int Threshold { get; set; }

    public decimal Spent { get; set; }

    public DateTimeOffset RaisedAt { get; set; }
}

internal sealed class BudgetRowConfiguration : IEntityTypeConfiguration<BudgetRow>
{
    public void Configure(EntityTypeBuilder<BudgetRow> builder)
    {
        builder.ToTable("budgets");
        builder.HasKey(b => b.Id);
        builder.Property(b => b.Name).HasMaxLength(63);
        builder.HasIndex(b => new { b.TenantId, b.Name }).IsUnique();
        builder.Property(b => b.Project).HasMaxLength(63);
        builder.Property(b => b.Currency).HasMaxLength(3);
        builder.Property(b => b.Amount).HasPrecision(20, 4);
        builder.HasOne<TenantRow>().WithMany().HasForeignKey(b => b.TenantId).OnDelete(DeleteBehavior.Cascade);
        builder.Property(b => b.ResourceVersion).IsConcurrencyToken();
    }
}

internal sealed class BudgetAlertRowConfiguration : IEntityTypeConfiguration<BudgetAlertRow>
{
    public void Configure(EntityTypeBuilder<BudgetAlertRow> builder)
    {
        builder.ToTable("budget_alerts");
        builder.HasKey(a => a.Id);
        builder.Property(a => a.Period).HasMaxLength(7);
        builder.Property(a => a.Spent).HasPrecision(38, 12);
        builder.HasIndex(a => new { a.BudgetId, a.Period, a.Threshold }).IsUnique();
        builder.HasOne<BudgetRow>().WithMany().HasForeignKey(a => a.BudgetId).OnDelete(DeleteBehavior.Cascade);
    }
}
