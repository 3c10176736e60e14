using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dflare.Persistence.Workflows;

/// <summary>One step of a run: its state, attempts, output and the timings the operations API shows.</summary>
public sealed class WorkflowStepRow
{
    public Guid RunId { get; set; }

    public int Index { get; set; }

    public required string Name { get; set; }

    public StepState State { get; set; }

    /// <summary>Executions begun, including ones a crash interrupted. Polls of a waiting step do not count.</summary>
    public int Attempts { get; set; }

    /// <summary>The step's output, JSON, once it succeeded.</summary>
    public string? Output { get; set; }

    public string? LastError { get; set; }

    /// <summary>Why the step is waiting, while it is.</summary>
    public string? WaitingFor { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    public DateTimeOffset? CompensatedAt { get; set; }

    /// <summary>Compensation executions begun; they retry until they succeed.</summary>
    public int CompensationAttempts { get; set; }

    public WorkflowStepRow Copy() => (WorkflowStepRow)MemberwiseClone();

    /// <summary>Whether anything but the key differs from <paramref name="other"/>.</summary>
    public bool SameStateAs(WorkflowStepRow other) =>
        State == other.State && Attempts == other.Attempts && Output == other.Output && LastError == other.LastError
        && WaitingFor == other.WaitingFor && StartedAt == other.StartedAt && FinishedAt == other.FinishedAt
        && CompensatedAt == other.CompensatedAt && CompensationAttempts == other.CompensationAttempts;
}

internal sealed class WorkflowStepRowConfiguration : IEntityTypeConfiguration<WorkflowStepRow>
{
    public void Configure(EntityTypeBuilder<WorkflowStepRow> builder)
    {
        builder.ToTable("workflow_steps");
        builder.HasKey(s => new { s.RunId, s.Index });
        builder.Property(s => s.Name).HasMaxLength(128);
        builder.Property(s => s.State).HasConversion<string>().HasMaxLength(16);
        builder.HasOne<WorkflowRunRow>().WithMany().HasForeignKey(s => s.RunId).OnDelete(DeleteBehavior.Cascade);
    }
}
