using Dflare.Persistence.Workflows;

namespace Dflare.Core.Workflows;

/// <summary>The run and its steps loaded inside a fenced transaction, with a way to append transitions.</summary>
internal sealed class RunTransition(WorkflowRunRow run, List<WorkflowStepRow> steps, long fencingToken, DateTimeOffset now, Action<WorkflowEventRow> append)
{
    public WorkflowRunRow Run => run;

    public IReadOnlyList<WorkflowStepRow> Steps => steps;

    public DateTimeOffset Now => now;

    public void Record(RunEventType type, string? step = null, int? attempt = null, string? message = null) => append(new WorkflowEventRow
    {
        RunId = run.Id,
        Sequence = run.NextEventSequence++,
        Type = type,
        Step = step,
        Attempt = attempt,
        FencingToken = fencingToken,
        Message = message is { Length: > 2000 } ? message[..2000] : message,
        At = now,
    });

    /// <summary>Begins an execution of a step: a new attempt.</summary>
    public void StartStep(int index)
    {
        var step = steps[index];
        step.State = StepState.Running;
        step.Attempts++;
        step.StartedAt ??= now;
        Record(RunEventType.StepStarted, step.Name, step.Attempts);
    }

    /// <summary>Turns the run around: completed steps are undone from the last one back.</summary>
    public void BeginCompensation(string? reason)
    {
        run.State = RunState.Compensating;
        run.CurrentStep = steps.Where(s => s.State == StepState.Succeeded).Select(s => s.Index).DefaultIfEmpty(-1).Max();
        Record(RunEventType.CompensationStarted, message: reason);
    }

    /// <summary>Ends the run: terminal state, the one-active-run key freed, the lease given up.</summary>
    public void Finish(RunState state, RunEventType type, string? message)
    {
        run.State = state;
        run.FinishedAt = now;
        run.ActiveKey = null;
        run.LeaseOwner = null;
        run.LeaseExpiresAt = null;
        // Steps never executed, or begun and then overtaken by a cancel, end as skipped.
        foreach (var step in steps.Where(s => s.State is StepState.Pending or StepState.Waiting or StepState.Running))
        {
            step.State = StepState.Skipped;
        }
        Record(type, message: message);
    }

    /// <summary>Gives the run back until <paramref name="dueAt"/>, so the worker is free for other runs meanwhile.</summary>
    public void Release(DateTimeOffset dueAt)
    {
        run.DueAt = dueAt;
        run.LeaseOwner = null;
        run.LeaseExpiresAt = null;
    }
}
