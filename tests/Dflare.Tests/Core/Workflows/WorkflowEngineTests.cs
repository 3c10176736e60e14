using System.Text.Json.Nodes;
using Dflare.Core.Workflows;
using Dflare.Persistence.Workflows;
using Dflare.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Dflare.Tests.Core.Workflows;

/// <summary>The engine's guarantees on each store provider, driven step by step with a fake clock.</summary>
public abstract class WorkflowEngineTests : IAsyncLifetime
{
    private readonly ScriptedSteps _steps = new();
    private EngineHarness? _harness;

    protected abstract Task<StoreTarget> CreateStoreAsync();

    private EngineHarness Harness => _harness!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private WorkflowDefinition ThreeSteps(bool singleActive = false, TimeSpan? timeout = null) => new()
    {
        Name = "three",
        SingleActivePerTarget = singleActive,
        Steps = [_steps.Step("allocate"), _steps.Step("configure", compensates: false, timeout: timeout), _steps.Step("attach", waitDeadline: TimeSpan.FromMinutes(5))],
    };

    public async ValueTask InitializeAsync()
    {
        _harness = await EngineHarness.CreateAsync(await CreateStoreAsync(), ThreeSteps());
    }

    public async ValueTask DisposeAsync()
    {
        if (_harness is not null)
        {
            await _harness.DisposeAsync();
        }
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Run_WhenEveryStepSucceeds_EndsSucceeded_AndPassesOutputsForward()
    {
        var id = await Harness.StartAsync("three", "t1", new JsonObject { ["gpus"] = 8 });

        await Harness.RunToEndAsync();

        var (run, steps, events) = await Harness.ReadAsync(id);
        Assert.Equal(RunState.Succeeded, run.State);
        Assert.Null(run.LeaseOwner);
        Assert.NotNull(run.FinishedAt);
        Assert.All(steps, s => Assert.Equal(StepState.Succeeded, s.State));
        Assert.Equal(8, (int)JsonNode.Parse(steps[0].Output!)!["input"]!["gpus"]!);
        Assert.Equal(["allocate#1", "configure#1", "attach#1"], _steps.Calls);
        Assert.Equal(
            [RunEventType.Created, RunEventType.StepStarted, RunEventType.StepSucceeded, RunEventType.StepStarted, RunEventType.StepSucceeded,
             RunEventType.StepStarted, RunEventType.StepSucceeded, RunEventType.RunSucceeded],
            events.Select(e => e.Type));
        Assert.Equal(Enumerable.Range(0, events.Count), events.Select(e => e.Sequence));
    }

    [Fact]
    public async Task TransientFailure_IsRetriedAfterBackoff_ThenSucceeds()
    {
        _steps.Script("configure", _ => Task.FromResult(StepResult.Transient("BMC busy")));
        var id = await Harness.StartAsync("three");
        var worker = Harness.Worker("w1");

        await worker.ProcessNextAsync(Ct);
        var (waiting, steps, _) = await Harness.ReadAsync(id);

        Assert.Equal(RunState.Running, waiting.State);
        Assert.Null(waiting.LeaseOwner);
        Assert.Equal("BMC busy", steps[1].LastError);
        Assert.True(waiting.DueAt >= Harness.Time.GetUtcNow());
        await Harness.RunToEndAsync(worker);
        var (run, finalSteps, events) = await Harness.ReadAsync(id);
        Assert.Equal(RunState.Succeeded, run.State);
        Assert.Equal(2, finalSteps[1].Attempts);
        Assert.Contains(events, e => e.Type == RunEventType.StepRetried && e.Step == "configure" && e.Message == "BMC busy");
    }

    [Fact]
    public async Task PermanentFailure_CompensatesCompletedStepsInReverse_EndsFailed()
    {
        _steps.Script("attach", _ => Task.FromResult(StepResult.Permanent("no free port")));
        var id = await Harness.StartAsync("three");

        await Harness.RunToEndAsync();

        var (run, steps, events) = await Harness.ReadAsync(id);
        Assert.Equal(RunState.Failed, run.State);
        Assert.Equal("attach: no free port", run.LastError);
        Assert.Equal([StepState.Compensated, StepState.Succeeded, StepState.Failed], steps.Select(s => s.State));
        Assert.Equal(["allocate#1", "configure#1", "attach#1", "undo:allocate"], _steps.Calls);
        Assert.Equal(RunEventType.RunFailed, events[^1].Type);
    }

    [Fact]
    public async Task TransientFailures_PastMaxAttempts_FailTheRun()
    {
        _steps.Script("allocate", Enumerable.Repeat<Func<CancellationToken, Task<StepResult>>>(_ => Task.FromResult(StepResult.Transient("flaky")), 3).ToArray());
        var id = await Harness.StartAsync("three");

        await Harness.RunToEndAsync();

        var (run, steps, _) = await Harness.ReadAsync(id);
        Assert.Equal(RunState.Failed, run.State);
        Assert.Equal(3, steps[0].Attempts);
        Assert.Contains("after 3 attempts", run.LastError, StringComparison.Ordinal);
        Assert.Equal(StepState.Skipped, steps[2].State);
    }

    [Fact]
    public async Task ThrowingStep_CountsAsTransient()
    {
        _steps.Script("allocate", _ => throw new InvalidOperationException("socket closed"));
        var id = await Harness.StartAsync("three");

        await Harness.RunToEndAsync();

        var (run, steps, events) = await Harness.ReadAsync(id);
        Assert.Equal(RunState.Succeeded, run.State);
        Assert.Equal(2, steps[0].Attempts);
        Assert.Contains(events, e => e.Type == RunEventType.StepRetried && e.Message == "socket closed");
    }

    [Fact]
    public async Task WaitingStep_PollsWithoutHoldingAWorker_ThenContinues()
    {
        _steps.Script("attach",
            _ => Task.FromResult(StepResult.WaitFor("agent registration", TimeSpan.FromSeconds(10))),
            _ => Task.FromResult(StepResult.WaitFor("agent registration", TimeSpan.FromSeconds(10))));
        var id = await Harness.StartAsync("three");
        var worker = Harness.Worker("w1");

        await worker.ProcessNextAsync(Ct);
        var (waiting, steps, _) = await Harness.ReadAsync(id);
        var claimedEarly = await worker.ProcessNextAsync(Ct);

        Assert.Equal(StepState.Waiting, steps[2].State);
        Assert.Equal("agent registration", steps[2].WaitingFor);
        Assert.Null(waiting.LeaseOwner);
        Assert.False(claimedEarly);
        await Harness.RunToEndAsync(worker);
        var (run, finalSteps, events) = await Harness.ReadAsync(id);
        Assert.Equal(RunState.Succeeded, run.State);
        Assert.Equal(1, finalSteps[2].Attempts);
        Assert.Single(events, e => e.Type == RunEventType.StepWaiting);
    }

    [Fact]
    public async Task WaitingStep_PastItsDeadline_FailsAndCompensates()
    {
        _steps.Script("attach", Enumerable.Repeat<Func<CancellationToken, Task<StepResult>>>(
            _ => Task.FromResult(StepResult.WaitFor("link up", TimeSpan.FromMinutes(2))), 10).ToArray());
        var id = await Harness.StartAsync("three");

        await Harness.RunToEndAsync();

        var (run, steps, _) = await Harness.ReadAsync(id);
        Assert.Equal(RunState.Failed, run.State);
        Assert.Contains("gave up waiting for link up", run.LastError, StringComparison.Ordinal);
        Assert.Equal(StepState.Compensated, steps[0].State);
    }

    [Fact]
    public async Task Cancel_WhileWaiting_CompensatesAndEndsCancelled()
    {
        _steps.Script("attach", _ => Task.FromResult(StepResult.WaitFor("power on", TimeSpan.FromMinutes(1))));
        var id = await Harness.StartAsync("three");
        var worker = Harness.Worker("w1");
        await worker.ProcessNextAsync(Ct);

        await using (var db = Harness.Open())
        {
            Assert.True(await Harness.Client.RequestCancelAsync(db, id, Ct));
        }
        await Harness.RunToEndAsync(worker);

        var (run, steps, events) = await Harness.ReadAsync(id);
        Assert.Equal(RunState.Cancelled, run.State);
        Assert.Equal([StepState.Compensated, StepState.Succeeded, StepState.Skipped], steps.Select(s => s.State));
        Assert.Equal(RunEventType.RunCancelled, events[^1].Type);
        await using var again = Harness.Open();
        Assert.False(await Harness.Client.RequestCancelAsync(again, id, Ct));
    }

    [Fact]
    public async Task Cancel_WhileAStepRuns_StopsBeforeTheNextStep_AndCompensates()
    {
        Guid id = default;
        _steps.Script("configure", async ct =>
        {
            await using var db = Harness.Open();
            await Harness.Client.RequestCancelAsync(db, id, ct);
            return StepResult.Done();
        });
        id = await Harness.StartAsync("three");

        await Harness.RunToEndAsync();

        var (run, steps, _) = await Harness.ReadAsync(id);
        Assert.Equal(RunState.Cancelled, run.State);
        Assert.Equal([StepState.Compensated, StepState.Succeeded, StepState.Skipped], steps.Select(s => s.State));
        Assert.Equal(["allocate#1", "configure#1", "undo:allocate"], _steps.Calls);
    }

    [Fact]
    public async Task OneActiveRunPerTarget_SecondStartRefused_UntilTheFirstEnds()
    {
        await using var harness = await EngineHarness.CreateAsync(await CreateStoreAsync(), ThreeSteps(singleActive: true));
        var first = await harness.StartAsync("three", "cluster/acme/a");
        await using var db = harness.Open();

        var refused = await harness.Client.StartAsync(db, "three", "cluster/acme/a", null, Ct);
        var otherTarget = await harness.Client.StartAsync(db, "three", "cluster/acme/b", null, Ct);
        await harness.RunToEndAsync();
        var afterEnd = await harness.Client.StartAsync(db, "three", "cluster/acme/a", null, Ct);

        Assert.Null(refused);
        Assert.NotNull(otherTarget);
        Assert.NotNull(afterEnd);
        Assert.NotEqual(first, afterEnd!.Id);
    }

    [Fact]
    public async Task StepTimeout_CountsAsTransient()
    {
        var started = new TaskCompletionSource();
        _steps.Script("configure", async ct =>
        {
            started.SetResult();
            await new TaskCompletionSource().Task.WaitAsync(ct); // blocks until cancelled
            return StepResult.Done();
        });
        await using var harness = await EngineHarness.CreateAsync(await CreateStoreAsync(), ThreeSteps(timeout: TimeSpan.FromSeconds(5)));
        var id = await harness.StartAsync("three");
        var worker = harness.Worker("w1");

        var processing = worker.ProcessNextAsync(Ct);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        harness.Time.Advance(TimeSpan.FromSeconds(6));
        await processing.WaitAsync(TimeSpan.FromSeconds(30), Ct);

        var (_, steps, events) = await harness.ReadAsync(id);
        Assert.Equal(StepState.Pending, steps[1].State);
        Assert.Contains(events, e => e.Type == RunEventType.StepRetried && e.Message!.StartsWith("timed out", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ZombieWorker_WhoseLeaseWasTakenOver_CannotCommit()
    {
        var zombieInStep = new TaskCompletionSource();
        var releaseZombie = new TaskCompletionSource();
        _steps.Script("configure", async ct =>
        {
            zombieInStep.SetResult();
            await releaseZombie.Task.WaitAsync(ct);
            return StepResult.Done(new JsonObject { ["by"] = "zombie" });
        });
        // The step may run longer than the lease, so only the lease, not the step timeout, decides.
        await using var harness = await EngineHarness.CreateAsync(await CreateStoreAsync(), ThreeSteps(timeout: TimeSpan.FromMinutes(10)));
        var id = await harness.StartAsync("three");
        var zombie = harness.Worker("zombie");
        var successor = harness.Worker("successor");

        var zombieRun = zombie.ProcessNextAsync(Ct);
        await zombieInStep.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        // The zombie is paused past its lease; the successor takes the run over and finishes it.
        harness.Time.Advance(EngineHarness.Lease + TimeSpan.FromSeconds(1));
        await harness.RunToEndAsync(successor);
        var (afterSuccessor, _, _) = await harness.ReadAsync(id);
        releaseZombie.SetResult();
        await zombieRun.WaitAsync(TimeSpan.FromSeconds(30), Ct);

        var (run, steps, events) = await harness.ReadAsync(id);
        Assert.Equal(RunState.Succeeded, afterSuccessor.State);
        Assert.Equal(RunState.Succeeded, run.State);
        Assert.Equal(afterSuccessor.NextEventSequence, run.NextEventSequence);
        Assert.DoesNotContain("zombie", steps[1].Output, StringComparison.Ordinal);
        Assert.Contains(events, e => e.Type == RunEventType.LeaseTakenOver);
        Assert.All(events.SkipWhile(e => e.Type != RunEventType.LeaseTakenOver), e => Assert.True(e.FencingToken >= 2));
    }

    [Fact]
    public async Task ZombieWorker_FencedWriteFromAStep_IsRefused()
    {
        var zombieInStep = new TaskCompletionSource<StepContext>();
        var releaseZombie = new TaskCompletionSource();
        Exception? refused = null;
        var workflow = new WorkflowDefinition
        {
            Name = "fenced",
            Steps =
            [
                new StepDefinition
                {
                    Name = "write",
                    Timeout = TimeSpan.FromMinutes(10),
                    Execute = async (context, ct) =>
                    {
                        if (context.Attempt == 1)
                        {
                            zombieInStep.SetResult(context);
                            await releaseZombie.Task.WaitAsync(ct);
                            try
                            {
                                await context.WriteAsync((db, token) => { db.Tenants.Add(new() { Name = "zombie-write" }); return Task.CompletedTask; }, ct);
                            }
                            catch (LeaseLostException ex)
                            {
                                refused = ex;
                                throw;
                            }
                        }
                        return StepResult.Done();
                    },
                },
            ],
        };
        await using var harness = await EngineHarness.CreateAsync(await CreateStoreAsync(), workflow);
        await harness.StartAsync("fenced");

        var zombieRun = harness.Worker("zombie").ProcessNextAsync(Ct);
        await zombieInStep.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        harness.Time.Advance(EngineHarness.Lease + TimeSpan.FromSeconds(1));
        await harness.RunToEndAsync(harness.Worker("successor"));
        releaseZombie.SetResult();
        await zombieRun.WaitAsync(TimeSpan.FromSeconds(30), Ct);

        Assert.IsType<LeaseLostException>(refused);
        await using var db = harness.Open();
        Assert.False(await db.Tenants.AnyAsync(t => t.Name == "zombie-write", Ct));
    }
}

public sealed class SqliteWorkflowEngineTests : WorkflowEngineTests
{
    protected override Task<StoreTarget> CreateStoreAsync() => Task.FromResult(StoreTarget.Sqlite());
}

public sealed class PostgresWorkflowEngineTests : WorkflowEngineTests
{
    protected override Task<StoreTarget> CreateStoreAsync() => StoreTarget.PostgresAsync();
}
