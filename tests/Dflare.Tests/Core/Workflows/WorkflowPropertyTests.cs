using System.Collections.Concurrent;
using CsCheck;
using Dflare.Core.Workflows;
using Dflare.Persistence.Workflows;
using Dflare.Tests.Infrastructure;

namespace Dflare.Tests.Core.Workflows;

/// <summary>
/// Random step outcomes (success, transient failure, permanent failure, a worker crash mid-step) and random cancels:
/// every run ends Succeeded, Failed-and-compensated or Cancelled-and-compensated, and each completed step is
/// compensated exactly once, in reverse order.
/// </summary>
public sealed class WorkflowPropertyTests : IAsyncLifetime
{
    private const int StepCount = 4;
    private readonly ConcurrentDictionary<Guid, Outcome[][]> _scripts = new();
    private readonly ConcurrentDictionary<(Guid, int), int> _calls = new();
    private readonly ConcurrentDictionary<Guid, List<int>> _compensations = new();
    private CancellationTokenSource _crash = new();
    private EngineHarness? _harness;

    public enum Outcome
    {
        Success,
        Transient,
        Permanent,
        Crash,
    }

    private EngineHarness Harness => _harness!;

    public async ValueTask InitializeAsync()
    {
        var steps = Enumerable.Range(0, StepCount).Select(i => new StepDefinition
        {
            Name = $"s{i}",
            Retry = new RetryPolicy(3, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(8)),
            Timeout = TimeSpan.FromMinutes(10),
            Execute = (context, ct) => ExecuteAsync(context, i, ct),
            Compensate = (context, _) =>
            {
                var log = _compensations.GetOrAdd(context.RunId, _ => []);
                lock (log)
                {
                    log.Add(i);
                }
                return Task.CompletedTask;
            },
        }).ToList();
        _harness = await EngineHarness.CreateAsync(StoreTarget.Sqlite(), new WorkflowDefinition { Name = "random", Steps = steps });
    }

    public async ValueTask DisposeAsync()
    {
        _crash.Dispose();
        if (_harness is not null)
        {
            await _harness.DisposeAsync();
        }
    }

    private async Task<StepResult> ExecuteAsync(StepContext context, int step, CancellationToken ct)
    {
        var call = _calls.AddOrUpdate((context.RunId, step), 1, (_, n) => n + 1) - 1;
        var script = _scripts[context.RunId][step];
        switch (call < script.Length ? script[call] : Outcome.Success)
        {
            case Outcome.Transient:
                return StepResult.Transient("flaky");
            case Outcome.Permanent:
                return StepResult.Permanent("broken");
            case Outcome.Crash:
                // The process dies mid-step: nothing after this point is written.
                await _crash.CancelAsync();
                await new TaskCompletionSource().Task.WaitAsync(ct); // blocks until cancelled
                return StepResult.Done();
            default:
                return StepResult.Done();
        }
    }

    [Fact]
    public async Task EveryRun_EndsTerminal_WithCompletedStepsCompensatedOnceInReverse()
    {
        var outcome = Gen.Int[0, 19].Select(i => i switch
        {
            < 12 => Outcome.Success,
            < 16 => Outcome.Transient,
            < 18 => Outcome.Permanent,
            _ => Outcome.Crash,
        });
        var scripts = outcome.Array[0, 4].Array[StepCount];
        var cancelAfter = Gen.Int[-1, 12];

        await Gen.Select(scripts, cancelAfter).SampleAsync(async sample =>
        {
            var (script, cancelAt) = sample;
            var id = await Harness.StartAsync("random");
            _scripts[id] = script;
            await DriveAsync(id, cancelAt);
            await AssertTerminalAndCompensatedAsync(id, script, cancelAt);
        }, iter: 60, threads: 1);
    }

    private async Task DriveAsync(Guid id, int cancelAt)
    {
        var worker = Harness.Worker("w");
        for (var calls = 0; calls < 500; calls++)
        {
            if (calls == cancelAt)
            {
                await using var db = Harness.Open();
                await Harness.Client.RequestCancelAsync(db, id, TestContext.Current.CancellationToken);
            }
            _crash.Dispose();
            _crash = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            if (await worker.ProcessNextAsync(_crash.Token))
            {
                if (_crash.IsCancellationRequested)
                {
                    // A crashed worker comes back as a new one; its old lease must expire first.
                    worker = Harness.Worker($"w{calls}");
                    Harness.Time.Advance(EngineHarness.Lease + TimeSpan.FromSeconds(1));
                }
                continue;
            }
            var next = await Harness.NextDueAsync();
            if (next is null)
            {
                return;
            }
            Harness.Time.SetUtcNow((next.Value > Harness.Time.GetUtcNow() ? next.Value : Harness.Time.GetUtcNow()) + TimeSpan.FromMilliseconds(1));
        }
        throw new InvalidOperationException($"run {id} did not end");
    }

    private async Task AssertTerminalAndCompensatedAsync(Guid id, Outcome[][] script, int cancelAt)
    {
        var (run, steps, events) = await Harness.ReadAsync(id);
        var completed = events.Where(e => e.Type == RunEventType.StepSucceeded).Select(e => int.Parse(e.Step![1..], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        var compensated = _compensations.TryGetValue(id, out var log) ? log : [];
        var terminalEvents = events.Count(e => e.Type is RunEventType.RunSucceeded or RunEventType.RunFailed or RunEventType.RunCancelled);
        var context = $"script={string.Join("|", script.Select(s => string.Join(",", s)))} cancelAt={cancelAt} state={run.State}";

        Assert.True(run.State is RunState.Succeeded or RunState.Failed or RunState.Cancelled, context);
        Assert.Equal(1, terminalEvents);
        Assert.Equal(Enumerable.Range(0, events.Count), events.Select(e => e.Sequence));
        Assert.Equal(completed.Distinct().Count(), completed.Count);
        if (run.State == RunState.Succeeded)
        {
            Assert.Empty(compensated);
            Assert.All(steps, s => Assert.Equal(StepState.Succeeded, s.State));
        }
        else
        {
            Assert.Equal(completed.OrderDescending(), compensated);
            Assert.Equal(completed.OrderDescending(), events.Where(e => e.Type == RunEventType.StepCompensated).Select(e => int.Parse(e.Step![1..], System.Globalization.CultureInfo.InvariantCulture)));
            Assert.All(steps, s => Assert.NotEqual(StepState.Succeeded, s.State));
        }
        if (run.State == RunState.Cancelled)
        {
            Assert.True(run.CancelRequested, context);
        }
    }
}
