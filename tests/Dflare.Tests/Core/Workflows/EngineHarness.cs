using System.Text.Json.Nodes;
using Dflare.Core.Workflows;
using Dflare.Persistence.Store;
using Dflare.Persistence.Workflows;
using Dflare.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Dflare.Tests.Core.Workflows;

/// <summary>The engine on a real store with a fake clock: tests drive workers by hand, one claim at a time.</summary>
public sealed class EngineHarness : IAsyncDisposable
{
    public static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    private EngineHarness(StoreTarget store, WorkflowRegistry registry)
    {
        Store = store;
        Registry = registry;
        Client = new WorkflowClient(registry, Time, Signal);
    }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 12, 3, 12, 0, 0, TimeSpan.Zero));

    public StoreTarget Store { get; }

    public WorkflowRegistry Registry { get; }

    public WorkflowSignal Signal { get; } = new();

    public WorkflowClient Client { get; }

    public static async Task<EngineHarness> CreateAsync(StoreTarget store, params WorkflowDefinition[] definitions)
    {
        await new StoreMigrator(Options.Create(store.Options), NullLogger<StoreMigrator>.Instance).MigrateAsync(TestContext.Current.CancellationToken);
        return new EngineHarness(store, new WorkflowRegistry(definitions));
    }

    public DflareDbContext Open() => StoreContexts.Create(Store.Options);

    public WorkflowEngine Worker(string id) => new(Open, Registry, Time,
        new WorkflowOptions { WorkerId = id, LeaseSeconds = (int)Lease.TotalSeconds }, NullLogger<WorkflowEngine>.Instance);

    public async Task<Guid> StartAsync(string workflow, string? target = null, JsonNode? input = null)
    {
        await using var db = Open();
        var run = await Client.StartAsync(db, workflow, target, input, TestContext.Current.CancellationToken)
            ?? throw new InvalidOperationException("a run for this target is already active");
        return run.Id;
    }

    /// <summary>Drives every run to its end with one worker, moving the clock to the next due instant when idle.</summary>
    public async Task RunToEndAsync(WorkflowEngine? worker = null, int maxIdleTicks = 10_000)
    {
        worker ??= Worker("w1");
        var ct = TestContext.Current.CancellationToken;
        for (var idle = 0; idle < maxIdleTicks;)
        {
            if (await worker.ProcessNextAsync(ct))
            {
                continue;
            }
            var next = await NextDueAsync();
            if (next is null)
            {
                return;
            }
            Time.SetUtcNow(Max(next.Value, Time.GetUtcNow()) + TimeSpan.FromMilliseconds(1));
            idle++;
        }
        throw new InvalidOperationException("runs did not end");
    }

    /// <summary>When the next active run becomes claimable: its due time, or its lease expiry if it is held.</summary>
    public async Task<DateTimeOffset?> NextDueAsync()
    {
        await using var db = Open();
        var active = await db.WorkflowRuns.AsNoTracking()
            .Where(r => r.State == RunState.Pending || r.State == RunState.Running || r.State == RunState.Compensating)
            .Select(r => new { r.DueAt, r.LeaseExpiresAt, r.LeaseOwner })
            .ToListAsync(TestContext.Current.CancellationToken);
        return active.Count == 0 ? null : active.Select(r => r.LeaseOwner is null ? r.DueAt : Max(r.DueAt, r.LeaseExpiresAt!.Value)).Min();
    }

    public async Task<(WorkflowRunRow Run, List<WorkflowStepRow> Steps, List<WorkflowEventRow> Events)> ReadAsync(Guid runId)
    {
        await using var db = Open();
        var ct = TestContext.Current.CancellationToken;
        var run = await db.WorkflowRuns.AsNoTracking().SingleAsync(r => r.Id == runId, ct);
        var steps = await db.WorkflowSteps.AsNoTracking().Where(s => s.RunId == runId).OrderBy(s => s.Index).ToListAsync(ct);
        var events = await db.WorkflowEvents.AsNoTracking().Where(e => e.RunId == runId).OrderBy(e => e.Sequence).ToListAsync(ct);
        return (run, steps, events);
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    public async ValueTask DisposeAsync()
    {
        Signal.Dispose();
        await Store.DisposeAsync();
    }
}

/// <summary>Steps whose outcomes a test scripts, and a log of what ran, in order.</summary>
public sealed class ScriptedSteps
{
    private readonly object _gate = new();
    private readonly Dictionary<string, Queue<Func<CancellationToken, Task<StepResult>>>> _scripts = [];

    public List<string> Calls { get; } = [];

    public void Script(string step, params Func<CancellationToken, Task<StepResult>>[] outcomes)
    {
        lock (_gate)
        {
            _scripts[step] = new Queue<Func<CancellationToken, Task<StepResult>>>(outcomes);
        }
    }

    public StepDefinition Step(string name, bool compensates = true, RetryPolicy? retry = null, TimeSpan? timeout = null, TimeSpan? waitDeadline = null) => new()
    {
        Name = name,
        Retry = retry ?? new RetryPolicy(3, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10)),
        Timeout = timeout ?? TimeSpan.FromSeconds(30),
        WaitDeadline = waitDeadline ?? TimeSpan.FromMinutes(30),
        Execute = async (context, ct) =>
        {
            Func<CancellationToken, Task<StepResult>>? next = null;
            lock (_gate)
            {
                Calls.Add($"{name}#{context.Attempt}");
                if (_scripts.TryGetValue(name, out var queue) && queue.Count > 0)
                {
                    next = queue.Dequeue();
                }
            }
            return next is null ? StepResult.Done(new JsonObject { ["from"] = name, ["input"] = context.Input?.DeepClone() }) : await next(ct);
        },
        Compensate = compensates
            ? (context, _) =>
            {
                lock (_gate)
                {
                    Calls.Add($"undo:{name}");
                }
                return Task.CompletedTask;
            }
            : null,
    };
}
