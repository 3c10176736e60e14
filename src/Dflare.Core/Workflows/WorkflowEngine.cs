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
        var first = true;
        while (true)
        {
            var (run, steps) = await LoadAsync(claim.RunId, stoppingToken);
            if (run.State is RunState.Succeeded or RunState.Failed or RunState.Cancelled)
            {
                return;
            }
            var definition = _registry.Find(run.Workflow, run.WorkflowVersion);
            if (definition is null)
            {
                // Unknown here (a newer replica's workflow): give it back for a replica that knows it.
                await TransitionAsync(claim, t => t.Release(t.Now + TimeSpan.FromSeconds(30)), stoppingToken);
                LogUnknownWorkflow(_logger, run.Workflow, run.WorkflowVersion);
                return;
            }
            if (first && claim.TookOver)
            {
                await TransitionAsync(claim, t => t.Record(RunEventType.LeaseTakenOver, message: $"claimed by {WorkerId}"), stoppingToken);
            }
            first = false;
            var more = run.State switch
            {
                _ when run.CancelRequested && run.State is RunState.Pending or RunState.Running => await BeginCompensationAsync(claim, cancelled: true, stoppingToken),
                RunState.Pending => await StartAsync(claim, stoppingToken),
                RunState.Running => await ForwardAsync(claim, definition, run, steps, stoppingToken),
                _ => await BackwardAsync(claim, definition, run, steps, stoppingToken),
            };
            if (!more)
            {
                return;
            }
        }
    }

    private async Task<bool> StartAsync(RunClaim claim, CancellationToken stoppingToken)
    {
        await TransitionAsync(claim, t => t.Run.State = RunState.Running, stoppingToken);
        return true;
    }

    private async Task<bool> BeginCompensationAsync(RunClaim claim, bool cancelled, CancellationToken stoppingToken)
    {
        await TransitionAsync(claim, t =>
        {
            t.Run.State = RunState.Compensating;
            t.Run.CurrentStep = t.Steps.Where(s => s.State == StepState.Succeeded).Select(s => s.Index).DefaultIfEmpty(-1).Max();
            t.Record(RunEventType.CompensationStarted, message: cancelled ? "cancel requested" : t.Run.LastError);
        }, stoppingToken);
        return true;
    }

    private async Task<(WorkflowRunRow Run, List<WorkflowStepRow> Steps)> LoadAsync(Guid runId, CancellationToken cancellationToken)
    {
        await using var db = _openStore();
        var run = await db.WorkflowRuns.AsNoTracking().SingleAsync(r => r.Id == runId, cancellationToken);
        var steps = await db.WorkflowSteps.AsNoTracking().Where(s => s.RunId == runId).OrderBy(s => s.Index).ToListAsync(cancellationToken);
        return (run, steps);
    }

    /// <summary>One fenced transition: the run and its steps as they are now, changed and saved together.</summary>
    internal Task TransitionAsync(RunClaim claim, Action<RunTransition> change, CancellationToken cancellationToken) =>
        _lease.FencedAsync(claim, async db =>
        {
            var run = await db.WorkflowRuns.SingleAsync(r => r.Id == claim.RunId, cancellationToken);
            var steps = await db.WorkflowSteps.Where(s => s.RunId == claim.RunId).OrderBy(s => s.Index).ToListAsync(cancellationToken);
            change(new RunTransition(run, steps, claim.FencingToken, _time.GetUtcNow(), e => db.WorkflowEvents.Add(e)));
        }, cancellationToken);

    private StepContext ContextFor(RunClaim claim, WorkflowRunRow run, IReadOnlyList<WorkflowStepRow> steps, WorkflowStepRow step, int attempt) => new(
        run.Id, step.Name, attempt, claim.FencingToken, JsonNode.Parse(run.Input),
        steps.Where(s => s.Index < step.Index && s.Output is not null).ToDictionary(s => s.Name, s => JsonNode.Parse(s.Output!)),
        (write, ct) => _lease.FencedAsync(claim, db => write(db, ct), ct));

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Lost the lease on run {RunId} (fencing token {FencingToken}); another worker took it over")]
    private static partial void LogLeaseLost(ILogger logger, Guid runId, long fencingToken);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Workflow {Workflow} version {Version} is not registered in this process")]
    private static partial void LogUnknownWorkflow(ILogger logger, string workflow, int version);
}
