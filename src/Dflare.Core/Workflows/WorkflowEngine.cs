using System.Text.Json.Nodes;
using Dflare.Persistence.Store;
using Dflare.Persistence.Workflows;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Dflare.Core.Workflows;

/// <summary>
/// Executes runs: claims one, then drives it step by step while it holds the lease — forward through the steps, or
/// backward through compensations — and gives it back when it must wait (backoff, polling) or ends. Each transition
/// is one fenced transaction, so a crash at any instant leaves the run where its last committed transition put it,
/// and the next claim carries on from there; a step that may have run is run again.
/// </summary>
public sealed partial class WorkflowEngine
{
    private readonly Func<DflareDbContext> _openStore;
    private readonly WorkflowRegistry _registry;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly RunLease _lease;

    public WorkflowEngine(Func<DflareDbContext> openStore, WorkflowRegistry registry, TimeProvider time, WorkflowOptions options, ILogger<WorkflowEngine> logger)
    {
        _openStore = openStore;
        _registry = registry;
        _time = time;
        _logger = logger;
        var workerId = options.WorkerId ?? $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..6]}";
        _lease = new RunLease(openStore, time, workerId, TimeSpan.FromSeconds(options.LeaseSeconds));
    }

    public string WorkerId => _lease.WorkerId;

    /// <summary>Claims one due run and drives it until it waits or ends. False when nothing was due.</summary>
    /// <param name="stoppingToken">Cancelled on shutdown: the run is abandoned without a write, as a crash would,
    /// and another claim resumes it when the lease expires.</param>
    public async Task<bool> ProcessNextAsync(CancellationToken stoppingToken)
    {
        var claim = await _lease.TryClaimAsync(stoppingToken);
        if (claim is null)
        {
            return false;
        }
        using var scope = _logger.BeginScope(new Dictionary<string, object> { ["RunId"] = claim.RunId, ["FencingToken"] = claim.FencingToken });
        if (claim.TookOver)
        {
            WorkflowInstruments.LeaseTakeovers.Inc();
        }
        try
        {
            await DriveAsync(claim, stoppingToken);
        }
        catch (LeaseLostException)
        {
            WorkflowInstruments.LeaseLosses.Inc();
            LogLeaseLost(_logger, claim.RunId, claim.FencingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown: leave the run as its last transition left it.
        }
        return true;
    }

    private async Task DriveAsync(RunClaim claim, CancellationToken stoppingToken)
    {
        var snapshot = await LoadAsync(claim.RunId, stoppingToken);
        if (claim.TookOver && !IsTerminal(snapshot.Run.State))
        {
            snapshot = await TransitionAsync(claim, snapshot, t => t.Record(RunEventType.LeaseTakenOver, message: $"claimed by {WorkerId}"), stoppingToken);
        }
        // The step this worker began in its last transition, so it is executed without being begun twice.
        int? begun = null;
        while (!IsTerminal(snapshot.Run.State))
        {
            var run = snapshot.Run;
            var definition = _registry.Find(run.Workflow, run.WorkflowVersion);
            if (definition is null)
            {
                // Unknown here (a newer replica's workflow): give it back for a replica that knows it.
                await TransitionAsync(claim, snapshot, t => t.Release(t.Now + TimeSpan.FromSeconds(30)), stoppingToken);
                LogUnknownWorkflow(_logger, run.Workflow, run.WorkflowVersion);
                return;
            }
            if (run.CancelRequested && run.State is RunState.Pending or RunState.Running)
            {
                snapshot = await TransitionAsync(claim, snapshot, t => t.BeginCompensation("cancel requested"), stoppingToken);
                begun = null;
                continue;
            }
            if (run.State == RunState.Pending)
            {
                snapshot = await TransitionAsync(claim, snapshot, t =>
                {
                    t.Run.State = RunState.Running;
                    t.StartStep(0);
                }, stoppingToken);
                begun = 0;
                continue;
            }
            var next = run.State == RunState.Running
                ? await ForwardAsync(claim, definition, snapshot, begun, stoppingToken)
                : await BackwardAsync(claim, definition, snapshot, stoppingToken);
            if (next.Snapshot is null)
            {
                return;
            }
            (snapshot, begun) = (next.Snapshot, next.Begun);
        }
    }

    private static bool IsTerminal(RunState state) => state is RunState.Succeeded or RunState.Failed or RunState.Cancelled;

    private async Task<RunSnapshot> LoadAsync(Guid runId, CancellationToken cancellationToken)
    {
        await using var db = _openStore();
        var run = await db.WorkflowRuns.AsNoTracking().SingleAsync(r => r.Id == runId, cancellationToken);
        var steps = await db.WorkflowSteps.AsNoTracking().Where(s => s.RunId == runId).OrderBy(s => s.Index).ToListAsync(cancellationToken);
        return new RunSnapshot(run, steps);
    }

    /// <summary>One fenced transition: the change applied to copies of the last committed state, written by
    /// <see cref="RunWriter"/> only if the claim still holds. Returns the state as committed, with the cancel flag as
    /// the store has it now, so the next decision needs no read.</summary>
    internal async Task<RunSnapshot> TransitionAsync(RunClaim claim, RunSnapshot current, Action<RunTransition> change, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var run = current.Run.Copy();
        run.LeaseExpiresAt = now + _lease.LeaseDuration;
        run.UpdatedAt = now;
        var steps = current.Steps.Select(s => s.Copy()).ToList();
        var events = new List<WorkflowEventRow>();
        change(new RunTransition(run, steps, claim.FencingToken, now, events.Add));
        var changed = steps.Where(s => !s.SameStateAs(current.Steps[s.Index])).ToList();
        await using var db = _openStore();
        await RunWriter.WriteAsync(db, claim, WorkerId, run, changed, events, cancellationToken);
        return new RunSnapshot(run, steps);
    }

    private StepContext ContextFor(RunClaim claim, RunSnapshot snapshot, WorkflowStepRow step, int attempt) => new(
        snapshot.Run.Id, step.Name, attempt, claim.FencingToken, JsonNode.Parse(snapshot.Run.Input),
        snapshot.Steps.Where(s => s.Index < step.Index && s.Output is not null).ToDictionary(s => s.Name, s => JsonNode.Parse(s.Output!)),
        (write, ct) => _lease.FencedAsync(claim, async (db, _) =>
        {
            await write(db, ct);
            return true;
        }, explicitTransaction: true, ct));

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Lost the lease on run {RunId} (fencing token {FencingToken}); another worker took it over")]
    private static partial void LogLeaseLost(ILogger logger, Guid runId, long fencingToken);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Workflow {Workflow} version {Version} is not registered in this process")]
    private static partial void LogUnknownWorkflow(ILogger logger, string workflow, int version);
}

/// <summary>A run and its steps as last committed.</summary>
internal sealed record RunSnapshot(WorkflowRunRow Run, List<WorkflowStepRow> Steps);

/// <summary>Where driving goes next: the new snapshot (null to stop) and the step already begun, if any.</summary>
internal readonly record struct DriveStep(RunSnapshot? Snapshot, int? Begun);
