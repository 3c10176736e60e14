using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dflare.Persistence.Workflows;

/// <summary>One transition of a run, append-only. (run, sequence) is unique, so a transition is written once.</summary>
public sealed class WorkflowEventRow
{
    public long Id { get; set; }

    public Guid RunId { get; set; }

    public int Sequence { get; set; }

    public RunEventType Type { get; set; }

    public string? Step { get; set; }

    public int? Attempt { get; set; }

    /// <summary>The fencing token of the worker that wrote the transition.</summary>
    public long FencingToken { get; set; }

    public string? Message { get; set; }

    public DateTimeOffset At { get; set; }
}

internal sealed class WorkflowEventRowConfiguration : IEntityTypeConfiguration<WorkflowEventRow>
{
    public void Configure(EntityTypeBuilder<WorkflowEventRow> builder)
    {
        builder.ToTable("workflow_events");
        builder.HasKey(e => e.Id);
        builder.HasIndex(e => new { e.RunId, e.Sequence }).IsUnique();
        builder.Property(e => e.Type).HasConversion<string>().HasMaxLength(32);
        builder.Property(e => e.Step).HasMaxLength(128);
        builder.Property(e => e.Message).HasMaxLength(2048);
        builder.HasOne<WorkflowRunRow>().WithMany().HasForeignKey(e => e.RunId).OnDelete(DeleteBehavior.Cascade);
    }
}
