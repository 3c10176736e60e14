using System.Text.Json.Nodes;
using Dflare.Core.Workflows;
using Npgsql;

namespace Dflare.Tests.CrashHost;

/// <summary>
/// Six steps, each applying one side effect to tables the engine does not own, keyed by the engine's idempotency key:
/// <c>crash_effects</c> keeps one row per key (the outside system honours keys), <c>crash_applications</c> logs every
/// application, re-executions included. Input <c>failAt</c> makes that step fail for good, to exercise compensation.
/// </summary>
public static class CrashWorkflow
{
    public const string Name = "crash-test";
    public const string EffectsVariable = "DFLARE_CRASH_EFFECTS";
    public const int StepCount = 6;

    public const string Schema = """
        CREATE TABLE IF NOT EXISTS crash_effects (key text PRIMARY KEY, run_id uuid NOT NULL, step text NOT NULL, kind text NOT NULL);
        CREATE TABLE IF NOT EXISTS crash_applications (id bigserial PRIMARY KEY, key text NOT NULL, run_id uuid NOT NULL, step text NOT NULL, kind text NOT NULL, pid int NOT NULL);
        """;

    public static WorkflowDefinition Create(string effectsConnectionString) => new()
    {
        Name = Name,
        Steps = [.. Enumerable.Range(0, StepCount).Select(i => new StepDefinition
        {
            Name = $"step{i}",
            Retry = new RetryPolicy(5, TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(500)),
            Timeout = TimeSpan.FromSeconds(20),
            Execute = async (context, ct) =>
            {
                if (context.Input?["failAt"]?.GetValue<int>() == i)
                {
                    return StepResult.Permanent("scripted failure");
                }
                await ApplyAsync(effectsConnectionString, context.IdempotencyKey, context, "do", ct);
                return StepResult.Done(new JsonObject { ["applied"] = context.IdempotencyKey });
            },
            Compensate = (context, ct) => ApplyAsync(effectsConnectionString, context.CompensationKey, context, "undo", ct),
        })],
    };

    private static async Task ApplyAsync(string connectionString, string key, StepContext context, string kind, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                Command("INSERT INTO crash_applications (key, run_id, step, kind, pid) VALUES ($1, $2, $3, $4, $5)", key, context, kind),
                Command("INSERT INTO crash_effects (key, run_id, step, kind) VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO NOTHING", key, context, kind),
            },
        };
        await batch.ExecuteNonQueryAsync(ct);
    }

    private static NpgsqlBatchCommand Command(string sql, string key, StepContext context, string kind)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = key });
        command.Parameters.Add(new NpgsqlParameter { Value = context.RunId });
        command.Parameters.Add(new NpgsqlParameter { Value = context.StepName });
        command.Parameters.Add(new NpgsqlParameter { Value = kind });
        if (sql.Contains("$5", StringComparison.Ordinal))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = Environment.ProcessId });
        }
        return command;
    }
}
