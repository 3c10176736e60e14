using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dflare.Persistence.Workflows;

/// <summary>
/// One execution of a workflow. The lease (owner, expiry, fencing token) says which worker may write for it: every
/// claim increments the token, and every write the engine makes for the run requires the token it claimed with.
/// </summary>
public sealed class WorkflowRunRow
{
    public Guid Id { get; set; }

    public required string Workflow { get; set; }

    public int WorkflowVersion { get; set; }

    /// <summary>What the run acts on, e.g. <c>cluster/acme/train-a</c>; may be null.</summary>
    public string? Target { get; set; }

    /// <summary><c>workflow|target</c> while the run is active and its workflow allows one active run per target;
    /// null otherwise. A unique index makes a second active run impossible.</summary>
    public string? ActiveKey { get; set; }

    /// <summary>The run's input, JSON.</summary>
    public required string Input { get; set; }

    public RunState State { get; set; }

    /// <summary>The step executing (forward) or being compensated (backward).</summary>
    public int CurrentStep { get; set; }

    public bool CancelRequested { get; set; }

    /// <summary>Not claimable before this instant (backoff, polling).</summary>
    public DateTimeOffset DueAt { get; set; }

    public string? LeaseOwner { get; set; }

    public DateTimeOffset? LeaseExpiresAt { get; set; }

    public long FencingToken { get; set; }

    public string? LastError { get; set; }

    /// <summary>The next sequence number for the run's events.</summary>
    public int NextEventSequence { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    public WorkflowRunRow Copy() => (WorkflowRunRow)MemberwiseClone();
}

internal sealed class WorkflowRunRowConfiguration : IEntityTypeConfiguration<WorkflowRunRow>
{
    public void Configure(EntityTypeBuilder<WorkflowRunRow> builder)
    {
        builder.ToTable("workflow_runs");
        builder.HasKey(r => r.Id);
        builder.Property(r => r.Workflow).HasMaxLength(128);
        builder.Property(r => r.Target).HasMaxLength(512);
        builder.Property(r => r.ActiveKey).HasMaxLength(700);
        builder.HasIndex(r => r.ActiveKey).IsUnique();
        builder.Property(r => r.State).HasConversion<string>().HasMaxLength(16);
        builder.Property(r => r.LeaseOwner).HasMaxLength(200);
        // Every engine write for a run is an UPDATE ... WHERE fencing_token = <claimed>: a stale worker updates nothing.
        builder.Property(r => r.FencingToken).IsConcurrencyToken();
        builder.HasIndex(r => new { r.State, r.DueAt });
        builder.HasIndex(r => new { r.Workflow, r.Target });
    }
}
