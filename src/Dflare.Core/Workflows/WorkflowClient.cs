using System.Text.Json.Nodes;
using Dflare.Persistence.Store;
using Dflare.Persistence.Workflows;
using Microsoft.EntityFrameworkCore;

namespace Dflare.Core.Workflows;

/// <summary>Starts and cancels runs. Starting stages the run on the caller's context, so a capability can record its
/// intent (the cluster row) and the run that carries it out in one transaction.</summary>
public sealed class WorkflowClient(WorkflowRegistry registry, TimeProvider time, WorkflowSignal signal)
{
    /// <summary>Adds a run of the newest version of <paramref name="workflow"/> to <paramref name="db"/>; the caller
    /// saves. A second active run for the same target of a single-active workflow fails that save with a unique
    /// violation on <c>workflow_runs.active_key</c>.</summary>
    public WorkflowRunRow Stage(DflareDbContext db, string workflow, string? target, JsonNode? input)
    {
        var definition = registry.Latest(workflow) ?? throw new ArgumentException($"Workflow '{workflow}' is not registered.", nameof(workflow));
        var now = time.GetUtcNow();
        var run = new WorkflowRunRow
        {
            Id = Guid.CreateVersion7(now),
            Workflow = definition.Name,
            WorkflowVersion = definition.Version,
            Target = target,
            ActiveKey = definition.SingleActivePerTarget ? $"{definition.Name}|{target}" : null,
            Input = input?.ToJsonString() ?? "null",
            State = RunState.Pending,
            DueAt = now,
            CreatedAt = now,
            UpdatedAt = now,
            NextEventSequence = 1,
        };
        db.WorkflowRuns.Add(run);
        for (var i = 0; i < definition.Steps.Count; i++)
        {
            db.WorkflowSteps.Add(new WorkflowStepRow { RunId = run.Id, Index = i, Name = definition.Steps[i].Name, State = StepState.Pending });
        }
        db.WorkflowEvents.Add(new WorkflowEventRow { RunId = run.Id, Sequence = 0, Type = RunEventType.Created, At = now, Message = target });
        return run;
    }

    /// <summary>Stages and saves a run, and wakes a local worker. Null when the workflow allows one active run per
    /// target and one is already active.</summary>
    public async Task<WorkflowRunRow?> StartAsync(DflareDbContext db, string workflow, string? target, JsonNode? input, CancellationToken cancellationToken)
    {
        var run = Stage(db, workflow, target, input);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException ex) when (StoreErrors.IsUniqueViolation(ex))
        {
            db.ChangeTracker.Clear();
            return null;
        }
        signal.Notify();
        return run;
    }

    /// <summary>Wakes a local worker for runs staged in a save made elsewhere (with a resource's own write).</summary>
    public void Wake() => signal.Notify();

    /// <summary>Makes a run that is sleeping (polling outside state, or in backoff) due now: outside state it waits
    /// for has changed (a node phoned home, an agent registered). Polling stays the safety net; this makes it rare.</summary>
    public async Task WakeAsync(DflareDbContext db, Guid runId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var woken = await db.WorkflowRuns
            .Where(r => r.Id == runId && (r.State == RunState.Pending || r.State == RunState.Running) && r.DueAt > now)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.DueAt, now), cancellationToken);
        if (woken == 1)
        {
            signal.Notify();
        }
    }

    /// <summary>Asks a run to stop and compensate. False when it has already ended.</summary>
    public async Task<bool> RequestCancelAsync(DflareDbContext db, Guid runId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        // Due now, so a run sleeping in backoff or polling is picked up at once; its worker begins compensation.
        var changed = await db.WorkflowRuns
            .Where(r => r.Id == runId && (r.State == RunState.Pending || r.State == RunState.Running || r.State == RunState.Compensating))
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.CancelRequested, true).SetProperty(r => r.DueAt, now).SetProperty(r => r.UpdatedAt, now), cancellationToken);
        if (changed == 1)
        {
            signal.Notify();
        }
        return changed == 1;
    }

    public static async Task<Dictionary<RunState, int>> CountByStateAsync(DflareDbContext db, CancellationToken cancellationToken) =>
        await db.WorkflowRuns.GroupBy(r => r.State).Select(g => new { g.Key, Count = g.Count() })
            .ToDictionaryAsync(g => g.Key, g => g.Count, cancellationToken);
}
