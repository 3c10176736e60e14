using Dflare.Core.Resources;
using Dflare.Persistence.Workflows;

namespace Dflare.Core.Workflows;

/// <summary>A workflow run as the API shows it: what runs, where it is, each step's progress. Mutating endpoints
/// answer 202 with one of these to poll.</summary>
public sealed record Operation : IResource
{
    public const string KindName = "Operation";

    public string? ApiVersion { get; init; }

    public string? Kind { get; init; }

    public ObjectMeta? Metadata { get; init; }

    public required OperationSpec Spec { get; init; }

    public required OperationStatus Status { get; init; }

    public static Operation From(WorkflowRunRow run, IReadOnlyList<WorkflowStepRow> steps) => new()
    {
        ApiVersion = ApiVersions.V1,
        Kind = KindName,
        Metadata = new ObjectMeta { Name = run.Id.ToString(), Uid = run.Id.ToString(), CreationTimestamp = run.CreatedAt },
        Spec = new OperationSpec(run.Workflow, run.WorkflowVersion, run.Target),
        Status = new OperationStatus
        {
            Phase = run.State.ToString(),
            CurrentStep = run.State is RunState.Running && run.CurrentStep < steps.Count ? steps[run.CurrentStep].Name : null,
            CancelRequested = run.CancelRequested,
            LastError = run.LastError,
            FinishedAt = run.FinishedAt,
            Steps = [.. steps.Select(s => new OperationStep(s.Name, s.State.ToString(), s.Attempts, s.LastError, s.WaitingFor, s.StartedAt, s.FinishedAt, s.CompensatedAt,
                s.Output is null ? null : System.Text.Json.Nodes.JsonNode.Parse(s.Output)))],
        },
    };
}

public sealed record OperationSpec(string Workflow, int Version, string? Target);

public sealed record OperationStatus
{
    /// <summary>Pending, Running, Compensating, Succeeded, Failed or Cancelled.</summary>
    public required string Phase { get; init; }

    /// <summary>The step executing now, while the phase is Running.</summary>
    public string? CurrentStep { get; init; }

    public bool CancelRequested { get; init; }

    public string? LastError { get; init; }

    public DateTimeOffset? FinishedAt { get; init; }

    public required IReadOnlyList<OperationStep> Steps { get; init; }
}

/// <summary>One step's progress: Pending, Running, Waiting, Succeeded, Failed, Compensated or Skipped; <c>Output</c> is
/// what the step reported when it succeeded (what discovery found; that a step was skipped, and why).</summary>
public sealed record OperationStep(
    string Name, string State, int Attempts, string? LastError, string? WaitingFor,
    DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, DateTimeOffset? CompensatedAt, System.Text.Json.Nodes.JsonNode? Output = null);

/// <summary>One transition of an operation, in order.</summary>
public sealed record OperationEvent(int Sequence, string Type, string? Step, int? Attempt, string? Message, DateTimeOffset At)
{
    public static OperationEvent From(WorkflowEventRow e) => new(e.Sequence, e.Type.ToString(), e.Step, e.Attempt, e.Message, e.At);
}
