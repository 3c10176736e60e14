using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dflare.Persistence.Identity;

/// <summary>
/// One entry of the audit log. <see cref="Hash"/> is SHA-256 over the previous entry's hash and this entry's fields,
/// so changing, deleting, inserting or reordering any entry breaks every hash after it.
/// </summary>
public sealed class AuditEntryRow
{
    /// <summary>1, 2, 3, … with no gaps.</summary>
    public long Sequence { get; set; }

    public DateTimeOffset At { get; set; }

    /// <summary>Null for the platform's own entries.</summary>
    public string? Tenant { get; set; }

    /// <summary><c>{realm}/{principal}</c>, or <c>anonymous</c>.</summary>
    public required string Actor { get; set; }

    /// <summary>E.g. <c>POST /api/v1/tenants</c>.</summary>
    public required string Action { get; set; }

    public string? Permission { get; set; }

    /// <summary><c>allowed</c> or <c>denied</c>.</summary>
    public required string Decision { get; set; }

    public int Status { get; set; }

    public string? Reason { get; set; }

    public string? CorrelationId { get; set; }

    public required string PreviousHash { get; set; }

    public required string Hash { get; set; }
}

/// <summary>A signed statement that the log held <see cref="Sequence"/> entries ending in <see cref="Hash"/>.</summary>
public sealed class AuditCheckpointRow
{
    public long Sequence { get; set; }

    public required string Hash { get; set; }

    public DateTimeOffset At { get; set; }

    public required string KeyId { get; set; }

    /// <summary>A JWS (ES256) over the sequence, hash and time, by the platform realm's audit key.</summary>
    public required string Signature { get; set; }
}

internal sealed class AuditEntryRowConfiguration : IEntityTypeConfiguration<AuditEntryRow>
{
    public void Configure(EntityTypeBuilder<AuditEntryRow> builder)
    {
        builder.ToTable("audit_entries");
        builder.HasKey(e => e.Sequence);
        builder.Property(e => e.Sequence).ValueGeneratedNever();
        builder.Property(e => e.Tenant).HasMaxLength(63);
        builder.HasIndex(e => new { e.Tenant, e.Sequence });
        builder.Property(e => e.Actor).HasMaxLength(200);
        builder.Property(e => e.Action).HasMaxLength(300);
        builder.Property(e => e.Permission).HasMaxLength(63);
        builder.Property(e => e.Decision).HasMaxLength(16);
        builder.Property(e => e.Reason).HasMaxLength(500);
        builder.Property(e => e.CorrelationId).HasMaxLength(64);
        builder.Property(e => e.PreviousHash).HasMaxLength(64);
        builder.Property(e => e.Hash).HasMaxLength(64);
    }
}

internal sealed class AuditCheckpointRowConfiguration : IEntityTypeConfiguration<AuditCheckpointRow>
{
    public void Configure(EntityTypeBuilder<AuditCheckpointRow> builder)
    {
        builder.ToTable("audit_checkpoints");
        builder.HasKey(c => c.Sequence);
        builder.Property(c => c.Sequence).ValueGeneratedNever();
        builder.Property(c => c.Hash).HasMaxLength(64);
        builder.Property(c => c.KeyId).HasMaxLength(64);
        builder.Property(c => c.Signature).HasMaxLength(1024);
    }
}
