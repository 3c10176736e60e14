using System.Diagnostics;
using System.Text.Json.Nodes;
using Dflare.Core.Workflows;
using Dflare.Persistence.Store;
using Dflare.Persistence.Workflows;
using Dflare.Tests.CrashHost;
using Dflare.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Dflare.Tests.Core.Workflows;

/// <summary>
/// A real control-plane process, killed with SIGKILL at 50+ random points while 24 runs execute, and restarted each
/// time. This test is the driver outside the process: it starts the runs, kills and restarts, and afterwards counts
/// the side effects in tables the engine does not own.
/// </summary>
public sealed class CrashTests(ITestOutputHelper output)
{
    private const int Runs = 24;
    private const int Kills = 52;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task KilledAtRandomPoints_EveryRunEndsOnce_AndNoSideEffectIsAppliedTwice()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var store = await StoreTarget.PostgresAsync();
        var connectionString = ((PostgresTarget)store).ConnectionString;
        await new StoreMigrator(Options.Create(store.Options), NullLogger<StoreMigrator>.Instance).MigrateAsync(ct);
        await ExecuteAsync(connectionString, CrashWorkflow.Schema, ct);
        var expectedFailures = await StartRunsAsync(store, connectionString, ct);
        var waves = 1;
        var seed = Environment.TickCount;
        var random = new Random(seed);
        output.WriteLine($"seed {seed}");

        var kills = 0;
        while (kills < Kills)
        {
            if (await AllEndedAsync(store, ct))
            {
                // The engine outran the kills: another wave of concurrent runs, so every kill lands mid-work.
                expectedFailures.UnionWith(await StartRunsAsync(store, connectionString, ct));
                waves++;
            }
            using var host = StartHost(connectionString);
            var before = await CountEventsAsync(store, ct);
            var advance = random.Next(1, 5);
            await Poll.UntilAsync(async token => await CountEventsAsync(store, token) >= before + advance || await AllEndedAsync(store, token) ? "" : null,
                Deadline, $"{advance} more transitions", TimeSpan.FromMilliseconds(5));
            host.Kill(); // SIGKILL: no shutdown, no flush, wherever it is.
            await host.WaitForExitAsync(ct);
            kills++;
        }
        using (var final = StartHost(connectionString))
        {
            await Poll.UntilAsync(async token => await AllEndedAsync(store, token) ? "" : null, Deadline, "every run to end");
            final.Kill();
            await final.WaitForExitAsync(ct);
        }

        output.WriteLine($"kills {kills}, waves of {Runs} runs {waves}");
        await using var db = StoreContexts.Create(store.Options);
        var runs = await db.WorkflowRuns.AsNoTracking().ToListAsync(ct);
        var events = await db.WorkflowEvents.AsNoTracking().ToListAsync(ct);
        var effects = await ReadEffectsAsync(connectionString, ct);
        var applications = await ScalarAsync(connectionString, "SELECT count(*) FROM crash_applications", ct);
        output.WriteLine($"effects {effects.Count}, applications {applications}, takeovers {events.Count(e => e.Type == RunEventType.LeaseTakenOver)}");

        Assert.Equal(Runs * waves, runs.Count);
        foreach (var run in runs)
        {
            var runEvents = events.Where(e => e.RunId == run.Id).ToList();
            Assert.Single(runEvents, e => e.Type is RunEventType.RunSucceeded or RunEventType.RunFailed or RunEventType.RunCancelled);
            Assert.Equal(expectedFailures.Contains(run.Id) ? RunState.Failed : RunState.Succeeded, run.State);
            var completed = runEvents.Where(e => e.Type == RunEventType.StepSucceeded).Select(e => e.Step!).ToList();
            var compensated = runEvents.Where(e => e.Type == RunEventType.StepCompensated).Select(e => e.Step!).ToList();
            Assert.Equal(completed.Distinct().Count(), completed.Count);
            Assert.Equal(compensated.Distinct().Count(), compensated.Count);
            // Every completed step applied its effect, under one key, once; every compensated one its undo, once.
            foreach (var step in completed)
            {
                Assert.Single(effects, e => e.RunId == run.Id && e.Step == step && e.Kind == "do");
            }
            foreach (var step in compensated)
            {
                Assert.Single(effects, e => e.RunId == run.Id && e.Step == step && e.Kind == "undo");
            }
            Assert.Equal(run.State == RunState.Failed ? completed.OrderDescending() : [], compensated.OrderDescending());
        }
        Assert.All(effects.GroupBy(e => (e.RunId, e.Step, e.Kind)), g => Assert.Single(g));
    }

    private static async Task<HashSet<Guid>> StartRunsAsync(StoreTarget store, string effects, CancellationToken ct)
    {
        var registry = new WorkflowRegistry([CrashWorkflow.Create(effects)]);
        using var signal = new WorkflowSignal();
        var client = new WorkflowClient(registry, TimeProvider.System, signal);
        var failures = new HashSet<Guid>();
        await using var db = StoreContexts.Create(store.Options);
        for (var i = 0; i < Runs; i++)
        {
            // One run in four fails for good at a later step, so compensation is crashed into too.
            var failAt = i % 4 == 3 ? 2 + (i % CrashWorkflow.StepCount) % 4 : -1;
            var run = client.Stage(db, CrashWorkflow.Name, $"target-{i}", new JsonObject { ["failAt"] = failAt });
            if (failAt >= 0)
            {
                failures.Add(run.Id);
            }
        }
        await db.SaveChangesAsync(ct);
        return failures;
    }

    private static Process StartHost(string connectionString)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList =
            {
                Path.Combine(AppContext.BaseDirectory, "Dflare.Tests.CrashHost.dll"),
                "--urls", "http://127.0.0.1:0", "--Agents:Url=https://127.0.0.1:0", "--Simulation:Enabled=false", "--store", "Postgres", "--connection-string", connectionString,
                "--Workflows:Workers=4", "--Workflows:LeaseSeconds=2", "--Workflows:PollMilliseconds=50",
                "--Logging:LogLevel:Default=Error",
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment[CrashWorkflow.EffectsVariable] = connectionString;
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task<bool> AllEndedAsync(StoreTarget store, CancellationToken ct)
    {
        await using var db = StoreContexts.Create(store.Options);
        return !await db.WorkflowRuns.AnyAsync(r => r.State == RunState.Pending || r.State == RunState.Running || r.State == RunState.Compensating, ct);
    }

    private static async Task<int> CountEventsAsync(StoreTarget store, CancellationToken ct)
    {
        await using var db = StoreContexts.Create(store.Options);
        return await db.WorkflowEvents.CountAsync(ct);
    }

    private sealed record Effect(Guid RunId, string Step, string Kind);

    private static async Task<List<Effect>> ReadEffectsAsync(string connectionString, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand("SELECT run_id, step, kind FROM crash_effects", connection);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var effects = new List<Effect>();
        while (await reader.ReadAsync(ct))
        {
            effects.Add(new Effect(reader.GetGuid(0), reader.GetString(1), reader.GetString(2)));
        }
        return effects;
    }

    private static async Task ExecuteAsync(string connectionString, string sql, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }

    private static async Task<long> ScalarAsync(string connectionString, string sql, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }
}
