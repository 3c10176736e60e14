using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dflare.Persistence.Metering;

/// <summary>
/// One usage event as received (CloudEvents: id, source, type, subject, time, data). The primary key (source, id) is
/// what makes ingestion exactly-once: a resent event inserts nothing. It is the table's only index, which keeps
/// ingestion at one B-tree insert per event (docs/benchmarks.md). Events are never updated; a correction is a
/// new event (the rater re-rates what it changes).
/// </summary>
public sealed class UsageEventRow
{
    public required string Source { get; set; }

    public required string EventId { get; set; }

    public required string Type { get; set; }

    public required string Subject { get; set; }

    public DateTimeOffset Time { get; set; }

    public required string Tenant { get; set; }

    /// <summary>The event's data, as JSON.</summary>
    public required string Data { get; set; }

    public DateTimeOffset ReceivedAt { get; set; }
}

internal sealed class UsageEventRowConfiguration : IEntityTypeConfiguration<UsageEventRow>
{
    public void Configure(EntityTypeBuilder<UsageEventRow> builder)
    {
        builder.ToTable("usage_events");
        builder.HasKey(e => new { e.Source, e.EventId });
        builder.Property(e => e.Source).HasMaxLength(256);
        builder.Property(e => e.EventId).HasMaxLength(128);
        builder.Property(e => e.Type).HasMaxLength(64);
        builder.Property(e => e.Subject).HasMaxLength(256);
        builder.Property(e => e.Tenant).HasMaxLength(63);
    }
}
