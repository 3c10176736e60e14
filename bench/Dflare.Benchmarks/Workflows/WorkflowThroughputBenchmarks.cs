using BenchmarkDotNet.Attributes;
using Dflare.Core.Workflows;
using Dflare.Persistence.Store;
using Dflare.Persistence.Workflows;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Dflare.Benchmarks.Workflows;

/// <summary>
/// Committed step transitions per second: 8 workers drive 100 runs of 5 no-op steps to the end. Each step commits two
/// transitions (started, succeeded) and each run one more (succeeded), so an iteration is 1,100 transitions.
/// Target (docs/benchmarks.md): 2,000 transitions/s or more on PostgreSQL with 8 workers on the 2-core machine.
/// PostgreSQL needs DFLARE_BENCH_POSTGRES (scripts/bench.sh starts one).
/// </summary>
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 5, invocationCount: 1)]
public class WorkflowThroughputBenchmarks : IDisposable
{
    private const int RunsPerIteration = 100;
    private const int StepsPerRun = 5;
    private const int Transitions = RunsPerIteration * (StepsPerRun * 2 + 1);
    private StoreOptions _store = null!;
    private WorkflowRegistry _registry = null!;
    private WorkflowClient _client = null!;
    private WorkflowSignal _signal = null!;
    private string _directory = "";

    [Params("sqlite", "postgres")]
    public string Store { get; set; } = "sqlite";

    [Params(1, 8)]
    public int Workers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        if (Store == "postgres")
        {
            var connection = Environment.GetEnvironmentVariable("DFLARE_BENCH_POSTGRES")
                ?? throw new InvalidOperationException("Set DFLARE_BENCH_POSTGRES, or run scripts/bench.sh.");
            _store = new StoreOptions { Provider = StoreProvider.Postgres, ConnectionString = connection };
        }
        else
        {
            _directory = Directory.CreateTempSubdirectory("dflare-bench-").FullName;
            _store = new StoreOptions { Provider = StoreProvider.Sqlite, DataDirectory = _directory };
        }
        new StoreMigrator(Options.Create(_store), NullLogger<StoreMigrator>.Instance).MigrateAsync(CancellationToken.None).GetAwaiter().GetResult();
        var steps = Enumerable.Range(0, StepsPerRun)
            .Select(i => new StepDefinition { Name = $"s{i}", Execute = (_, _) => Task.FromResult(StepResult.Done()) }).ToList();
        _registry = new WorkflowRegistry([new WorkflowDefinition { Name = "bench", Steps = steps }]);
        _signal = new WorkflowSignal();
        _client = new WorkflowClient(_registry, TimeProvider.System, _signal);
    }

    [IterationSetup]
    public void StageRuns()
    {
        using var db = StoreContexts.Create(_store);
        db.WorkflowEvents.ExecuteDelete();
        db.WorkflowSteps.ExecuteDelete();
        db.WorkflowRuns.ExecuteDelete();
        for (var i = 0; i < RunsPerIteration; i++)
        {
            _client.Stage(db, "bench", null, null);
        }
        db.SaveChanges();
    }

    [Benchmark(OperationsPerInvoke = Transitions)]
    public async Task DriveRunsToTheEnd()
    {
        var workers = Enumerable.Range(0, Workers).Select(i => new WorkflowEngine(() => StoreContexts.Create(_store), _registry, TimeProvider.System,
            new WorkflowOptions { WorkerId = $"bench-{i}" }, NullLogger<WorkflowEngine>.Instance)).ToList();
        await Task.WhenAll(workers.Select(async worker =>
        {
            while (true)
            {
                if (await worker.ProcessNextAsync(CancellationToken.None))
                {
                    continue;
                }
                if (!await AnyActiveAsync())
                {
                    return;
                }
                // Others hold the remaining runs: wait briefly rather than spin on the store, as a real worker polls.
                await _signal.WaitAsync(TimeSpan.FromMilliseconds(5), CancellationToken.None);
            }
        }));
    }

    private async Task<bool> AnyActiveAsync()
    {
        await using var db = StoreContexts.Create(_store);
        return await db.WorkflowRuns.AnyAsync(r => r.State != RunState.Succeeded);
    }

    public void Dispose()
    {
        _signal?.Dispose();
        GC.SuppressFinalize(this);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (_directory.Length > 0)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(_directory, recursive: true);
        }
    }
}
