using System.Diagnostics;
using Dflare.Persistence.Workflows;
using Microsoft.Extensions.Logging;

namespace Dflare.Core.Workflows;

// Forward execution and compensation of steps.
public sealed partial class WorkflowEngine
{
    private async Task<DriveStep> ForwardAsync(RunClaim claim, WorkflowDefinition definition, RunSnapshot snapshot, int? begun, CancellationToken stoppingToken)
    {
        var run = snapshot.Run;
        if (run.CurrentStep >= definition.Steps.Count)
        {
            await TransitionAsync(claim, snapshot, t => t.Finish(RunState.Succeeded, RunEventType.RunSucceeded, null), stoppingToken);
            WorkflowInstruments.RunsFinished.WithLabels(run.Workflow, nameof(RunState.Succeeded)).Inc();
            return default;
        }
        var index = run.CurrentStep;
        var stepDefinition = definition.Steps[index];
        var polling = snapshot.Steps[index].State == StepState.Waiting;
        // A step found Running that this worker did not begin was begun by a worker that died: a new attempt.
        if (!polling && !(begun == index && snapshot.Steps[index].State == StepState.Running))
        {
            snapshot = await TransitionAsync(claim, snapshot, t => t.StartStep(index), stoppingToken);
        }
        var step = snapshot.Steps[index];
        var attempt = step.Attempts;

        using var stepScope = _logger.BeginScope(new Dictionary<string, object> { ["Step"] = step.Name, ["Attempt"] = attempt });
        var started = Stopwatch.GetTimestamp();
        var result = await ExecuteAsync(stepDefinition, ContextFor(claim, snapshot, step, attempt), stoppingToken);
        WorkflowInstruments.StepDuration.WithLabels(run.Workflow, step.Name).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);

        if (result is StepResult.Waiting waiting && _time.GetUtcNow() - step.StartedAt > stepDefinition.WaitDeadline)
        {
            result = StepResult.Permanent($"gave up waiting for {waiting.Reason} after {stepDefinition.WaitDeadline}");
        }
        if (result is StepResult.Failed { IsPermanent: false } transient && attempt >= stepDefinition.Retry.MaxAttempts)
        {
            result = StepResult.Permanent($"{transient.Error} (after {attempt} attempts)");
        }
        switch (result)
        {
            case StepResult.Completed completed:
                int? next = null;
                snapshot = await TransitionAsync(claim, snapshot, t =>
                {
                    var s = t.Steps[index];
                    s.State = StepState.Succeeded;
                    s.Output = completed.Output?.ToJsonString();
                    s.WaitingFor = null;
                    s.FinishedAt = t.Now;
                    t.Run.CurrentStep = index + 1;
                    t.Record(RunEventType.StepSucceeded, s.Name, attempt);
                    // Begin the next step in the same transaction: one commit per step, not two.
                    if (index + 1 < t.Steps.Count && !t.Run.CancelRequested)
                    {
                        t.StartStep(index + 1);
                        next = index + 1;
                    }
                }, stoppingToken);
                return new DriveStep(snapshot, next);
            case StepResult.Waiting wait:
                await TransitionAsync(claim, snapshot, t =>
                {
                    var s = t.Steps[index];
                    if (s.WaitingFor != wait.Reason)
                    {
                        t.Record(RunEventType.StepWaiting, s.Name, attempt, wait.Reason);
                    }
                    s.State = StepState.Waiting;
                    s.WaitingFor = wait.Reason;
                    t.Release(t.Now + wait.PollAfter);
                }, stoppingToken);
                return default;
            case StepResult.Failed { IsPermanent: false } retry:
                var backoff = stepDefinition.Retry.Backoff(attempt + 1, Random.Shared.NextDouble());
                WorkflowInstruments.StepRetries.WithLabels(run.Workflow, step.Name).Inc();
                await TransitionAsync(claim, snapshot, t =>
                {
                    var s = t.Steps[index];
                    s.State = StepState.Pending;
                    s.LastError = retry.Error;
                    t.Record(RunEventType.StepRetried, s.Name, attempt, retry.Error);
                    t.Release(t.Now + backoff);
                }, stoppingToken);
                return default;
            default:
                var failure = (StepResult.Failed)result;
                snapshot = await TransitionAsync(claim, snapshot, t =>
                {
                    var s = t.Steps[index];
                    s.State = StepState.Failed;
                    s.LastError = failure.Error;
                    s.FinishedAt = t.Now;
                    t.Run.LastError = $"{s.Name}: {failure.Error}";
                    t.Record(RunEventType.StepFailed, s.Name, attempt, failure.Error);
                    t.BeginCompensation(t.Run.LastError);
                }, stoppingToken);
                return new DriveStep(snapshot, null);
        }
    }

    private async Task<DriveStep> BackwardAsync(RunClaim claim, WorkflowDefinition definition, RunSnapshot snapshot, CancellationToken stoppingToken)
    {
        var run = snapshot.Run;
        // The next completed step to undo, walking back from the current one; steps that allocate nothing are passed.
        var next = snapshot.Steps
            .Where(s => s.Index <= run.CurrentStep && s.State == StepState.Succeeded && definition.Steps[s.Index].Compensate is not null)
            .OrderByDescending(s => s.Index).FirstOrDefault();
        if (next is null)
        {
            var cancelled = run.CancelRequested && run.LastError is null;
            var state = cancelled ? RunState.Cancelled : RunState.Failed;
            await TransitionAsync(claim, snapshot, t => t.Finish(state, cancelled ? RunEventType.RunCancelled : RunEventType.RunFailed, t.Run.LastError), stoppingToken);
            WorkflowInstruments.RunsFinished.WithLabels(run.Workflow, state.ToString()).Inc();
            return default;
        }
        var index = next.Index;
        snapshot = await TransitionAsync(claim, snapshot, t => t.Steps[index].CompensationAttempts++, stoppingToken);
        var attempt = snapshot.Steps[index].CompensationAttempts;
        var stepDefinition = definition.Steps[index];
        string? error = null;
        try
        {
            using var timer = new CancellationTokenSource(stepDefinition.Timeout, _time);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, timer.Token);
            await stepDefinition.Compensate!(ContextFor(claim, snapshot, snapshot.Steps[index], attempt), timeout.Token);
        }
        catch (Exception ex) when (ex is not LeaseLostException && !stoppingToken.IsCancellationRequested)
        {
            error = ex.Message;
        }
        if (error is not null)
        {
            // Compensations retry until they succeed: giving up would leak what the step allocated.
            var backoff = stepDefinition.Retry.Backoff(attempt + 1, Random.Shared.NextDouble());
            await TransitionAsync(claim, snapshot, t =>
            {
                t.Steps[index].LastError = $"compensation: {error}";
                t.Record(RunEventType.StepRetried, next.Name, attempt, $"compensation: {error}");
                t.Release(t.Now + backoff);
            }, stoppingToken);
            return default;
        }
        snapshot = await TransitionAsync(claim, snapshot, t =>
        {
            var s = t.Steps[index];
            s.State = StepState.Compensated;
            s.CompensatedAt = t.Now;
            t.Run.CurrentStep = index - 1;
            t.Record(RunEventType.StepCompensated, s.Name, attempt);
        }, stoppingToken);
        return new DriveStep(snapshot, null);
    }

    private async Task<StepResult> ExecuteAsync(StepDefinition step, StepContext context, CancellationToken stoppingToken)
    {
        using var timer = new CancellationTokenSource(step.Timeout, _time);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, timer.Token);
        try
        {
            return await step.Execute(context, timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !stoppingToken.IsCancellationRequested)
        {
            return StepResult.Transient($"timed out after {step.Timeout}");
        }
        catch (Exception ex) when (ex is not LeaseLostException and not OperationCanceledException && !stoppingToken.IsCancellationRequested)
        {
            LogStepThrew(_logger, step.Name, ex);
            return StepResult.Transient(ex.Message);
        }
    }

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "Step {Step} threw; counted as a transient failure")]
    private static partial void LogStepThrew(ILogger logger, string step, Exception exception);
}
