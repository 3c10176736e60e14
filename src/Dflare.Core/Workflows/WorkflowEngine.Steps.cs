using System.Diagnostics;
using Dflare.Persistence.Workflows;
using Microsoft.Extensions.Logging;

namespace Dflare.Core.Workflows;

// Forward execution and compensation of steps.
public sealed partial class WorkflowEngine
{
    private async Task<bool> ForwardAsync(RunClaim claim, WorkflowDefinition definition, WorkflowRunRow run, List<WorkflowStepRow> steps, CancellationToken stoppingToken)
    {
        if (run.CurrentStep >= definition.Steps.Count)
        {
            await TransitionAsync(claim, t => t.Finish(RunState.Succeeded, RunEventType.RunSucceeded, null), stoppingToken);
            WorkflowInstruments.RunsFinished.WithLabels(run.Workflow, nameof(RunState.Succeeded)).Inc();
            return false;
        }
        var stepDefinition = definition.Steps[run.CurrentStep];
        var step = steps[run.CurrentStep];
        var polling = step.State == StepState.Waiting;
        var attempt = polling ? step.Attempts : step.Attempts + 1;
        if (!polling)
        {
            await TransitionAsync(claim, t =>
            {
                var s = t.Steps[step.Index];
                s.State = StepState.Running;
                s.Attempts = attempt;
                s.StartedAt ??= t.Now;
                t.Record(RunEventType.StepStarted, s.Name, attempt);
            }, stoppingToken);
            step.StartedAt ??= _time.GetUtcNow();
        }

        using var stepScope = _logger.BeginScope(new Dictionary<string, object> { ["Step"] = step.Name, ["Attempt"] = attempt });
        var started = Stopwatch.GetTimestamp();
        var result = await ExecuteAsync(stepDefinition, ContextFor(claim, run, steps, step, attempt), stoppingToken);
        WorkflowInstruments.StepDuration.WithLabels(run.Workflow, step.Name).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);

        var now = _time.GetUtcNow();
        if (result is StepResult.Waiting waiting && now - step.StartedAt > stepDefinition.WaitDeadline)
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
                await TransitionAsync(claim, t =>
                {
                    var s = t.Steps[step.Index];
                    s.State = StepState.Succeeded;
                    s.Output = completed.Output?.ToJsonString();
                    s.WaitingFor = null;
                    s.FinishedAt = t.Now;
                    t.Run.CurrentStep = step.Index + 1;
                    t.Record(RunEventType.StepSucceeded, s.Name, attempt);
                }, stoppingToken);
                return true;
            case StepResult.Waiting wait:
                await TransitionAsync(claim, t =>
                {
                    var s = t.Steps[step.Index];
                    if (s.WaitingFor != wait.Reason)
                    {
                        t.Record(RunEventType.StepWaiting, s.Name, attempt, wait.Reason);
                    }
                    s.State = StepState.Waiting;
                    s.WaitingFor = wait.Reason;
                    t.Release(t.Now + wait.PollAfter);
                }, stoppingToken);
                return false;
            case StepResult.Failed { IsPermanent: false } retry:
                var backoff = stepDefinition.Retry.Backoff(attempt + 1, Random.Shared.NextDouble());
                WorkflowInstruments.StepRetries.WithLabels(run.Workflow, step.Name).Inc();
                await TransitionAsync(claim, t =>
                {
                    var s = t.Steps[step.Index];
                    s.State = StepState.Pending;
                    s.LastError = retry.Error;
                    t.Record(RunEventType.StepRetried, s.Name, attempt, retry.Error);
                    t.Release(t.Now + backoff);
                }, stoppingToken);
                return false;
            default:
                var failure = (StepResult.Failed)result;
                await TransitionAsync(claim, t =>
                {
                    var s = t.Steps[step.Index];
                    s.State = StepState.Failed;
                    s.LastError = failure.Error;
                    s.FinishedAt = t.Now;
                    t.Run.LastError = $"{s.Name}: {failure.Error}";
                    t.Record(RunEventType.StepFailed, s.Name, attempt, failure.Error);
                }, stoppingToken);
                return await BeginCompensationAsync(claim, cancelled: false, stoppingToken);
        }
    }

    private async Task<bool> BackwardAsync(RunClaim claim, WorkflowDefinition definition, WorkflowRunRow run, List<WorkflowStepRow> steps, CancellationToken stoppingToken)
    {
        // The next completed step to undo, walking back from the current one; steps that allocate nothing are passed.
        var next = steps.Where(s => s.Index <= run.CurrentStep && s.State == StepState.Succeeded && definition.Steps[s.Index].Compensate is not null)
            .OrderByDescending(s => s.Index).FirstOrDefault();
        if (next is null)
        {
            var cancelled = run.CancelRequested && run.LastError is null;
            var state = cancelled ? RunState.Cancelled : RunState.Failed;
            await TransitionAsync(claim, t => t.Finish(state, cancelled ? RunEventType.RunCancelled : RunEventType.RunFailed, t.Run.LastError), stoppingToken);
            WorkflowInstruments.RunsFinished.WithLabels(run.Workflow, state.ToString()).Inc();
            return false;
        }
        var attempt = next.CompensationAttempts + 1;
        await TransitionAsync(claim, t => t.Steps[next.Index].CompensationAttempts = attempt, stoppingToken);
        var compensate = definition.Steps[next.Index].Compensate!;
        var context = ContextFor(claim, run, steps, next, attempt);
        string? error = null;
        try
        {
            using var timer = new CancellationTokenSource(definition.Steps[next.Index].Timeout, _time);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, timer.Token);
            await compensate(context, timeout.Token);
        }
        catch (Exception ex) when (ex is not LeaseLostException && !stoppingToken.IsCancellationRequested)
        {
            error = ex.Message;
        }
        if (error is not null)
        {
            // Compensations retry until they succeed: giving up would leak what the step allocated.
            var backoff = definition.Steps[next.Index].Retry.Backoff(attempt + 1, Random.Shared.NextDouble());
            await TransitionAsync(claim, t =>
            {
                t.Steps[next.Index].LastError = $"compensation: {error}";
                t.Record(RunEventType.StepRetried, next.Name, attempt, $"compensation: {error}");
                t.Release(t.Now + backoff);
            }, stoppingToken);
            return false;
        }
        await TransitionAsync(claim, t =>
        {
            var s = t.Steps[next.Index];
            s.State = StepState.Compensated;
            s.CompensatedAt = t.Now;
            t.Run.CurrentStep = next.Index - 1;
            t.Record(RunEventType.StepCompensated, s.Name, attempt);
        }, stoppingToken);
        return true;
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
