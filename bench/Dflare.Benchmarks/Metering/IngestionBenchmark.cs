using System.Diagnostics;
using System.Text.Json.Nodes;
using Dflare.Core.Metering;
using Dflare.Core.Resources;
using Dflare.Persistence.Store;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Dflare.Benchmarks.Metering;

/// <summary>
/// Sustained usage-event ingestion with deduplication: N events (a tenth of them sent twice, shuffled) in batches of
/// 5,000, each batch parsed from JSON beforehand, then validated and written by the ingestor exactly as
/// <c>POST /api/v1/usage-events</c> does after reading the body, by <c>writers</c> concurrent writers, after an untimed warm-up of 200,000 other events. Prints events/s and how many were stored.
/// <c>dotnet run -c Release --project bench/Dflare.Benchmarks -- ingest 1000000 [postgres] [writers=2]</c>.
/// </summary>
public static class IngestionBenchmark
{
    private const int Batch = UsageIngestor.MaxBatch;

    public static async Task<int> RunAsync(string[] args)
    {
        var count = args.Length > 1 && int.TryParse(args[1], out var n) ? n : 1_000_000;
        var writers = args.FirstOrDefault(a => a.StartsWith("writers=", StringComparison.Ordinal)) is { } w ? int.Parse(w[8..], System.Globalization.CultureInfo.InvariantCulture) : 2;
        var postgres = args.Contains("postgres") ? Environment.GetEnvironmentVariable("DFLARE_BENCH_POSTGRES") : null;
        if (args.Contains("postgres") && postgres is null)
        {
            Console.Error.WriteLine("ingest … postgres needs DFLARE_BENCH_POSTGRES (scripts/bench.sh ingest 1000000 sets it).");
            return 2;
        }
        var directory = Directory.CreateTempSubdirectory("dflare-bench-ingest-");
        var store = postgres is null
            ? new StoreOptions { Provider = StoreProvider.Sqlite, DataDirectory = directory.FullName }
            : new StoreOptions { Provider = StoreProvider.Postgres, ConnectionString = postgres };
        await new StoreMigrator(Options.Create(store), NullLogger<StoreMigrator>.Instance).MigrateAsync(CancellationToken.None);
        var now = DateTimeOffset.UtcNow;
        var events = Enumerable.Range(0, count).Select(i => new UsageEvent
        {
            SpecVersion = "1.0", Id = $"bench-{now:HHmmss}-{i}", Source = $"collector-{i % 16}", Type = UsageEventTypes.NetworkTransferred, Subject = $"cluster-{i % 500}",
            Time = now.AddSeconds(-(i % 86_400)),
            Data = System.Text.Json.JsonSerializer.SerializeToElement(new JsonObject { ["tenant"] = $"tenant-{i % 50}", ["project"] = "p", ["cluster"] = $"cluster-{i % 500}", ["direction"] = i % 2 == 0 ? "egress" : "ingress", ["bytes"] = 1000 + i }),
        }).ToList();
        var random = new Random(1);
        // Each batch as the API holds it after reading a request body: parsed from JSON (outside the timing).
        var sent = events.Concat(events.Where((_, i) => i % 10 == 0)).OrderBy(_ => random.Next()).Chunk(Batch)
            .Select(b => System.Text.Json.JsonSerializer.Deserialize<UsageEvent[]>(System.Text.Json.JsonSerializer.Serialize(b, System.Text.Json.JsonSerializerOptions.Web), System.Text.Json.JsonSerializerOptions.Web)!)
            .ToList();
        // Warm-up, untimed: 200,000 other events, so the figure is the steady state, not a cold store's first seconds.
        for (var round = 0; round < 20; round++)
        {
            var warm = Enumerable.Range(0, Batch).Select(i => new UsageEvent
            {
                SpecVersion = "1.0", Id = $"warm-{now:HHmmss}-{round}-{i}", Source = "warm-up", Type = UsageEventTypes.NetworkTransferred, Subject = "warm",
                Time = now, Data = System.Text.Json.JsonSerializer.SerializeToElement(new JsonObject { ["tenant"] = "warm", ["project"] = "p", ["cluster"] = "c", ["direction"] = "egress", ["bytes"] = 1 }),
            }).ToList();
            await using var db = StoreContexts.Create(store);
            await UsageIngestor.IngestAsync(db, warm, now, CancellationToken.None);
        }
        var next = -1;
        var stored = 0;
        long validationTicks = 0;
        var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, writers).Select(_ => Task.Run(async () =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < sent.Count)
            {
                var batch = new UsageEventBatch(sent[index]);
                var validation = new Validation();
                var started = Stopwatch.GetTimestamp();
                UsageIngestor.Validate(validation, batch, now, TimeSpan.FromDays(3));
                Interlocked.Add(ref validationTicks, Stopwatch.GetTimestamp() - started);
                if (!validation.IsValid)
                {
                    throw new InvalidOperationException(validation.Errors[0].Message);
                }
                await using var db = StoreContexts.Create(store);
                var result = await UsageIngestor.IngestAsync(db, batch.Events!, now, CancellationToken.None);
                Interlocked.Add(ref stored, result.Accepted);
            }
        })));
        clock.Stop();
        process.Refresh();
        var total = sent.Sum(b => b.Length);
        Console.WriteLine($"ingest: {total:N0} events ({count:N0} distinct, {total - count:N0} resent) in {clock.Elapsed.TotalSeconds:F1} s on {(postgres is null ? "SQLite" : "PostgreSQL")}, {writers} writer(s)");
        Console.WriteLine($"ingest: {total / clock.Elapsed.TotalSeconds:N0} events/s; stored {stored:N0} (expected {count:N0}); benchmark process CPU {(process.TotalProcessorTime - cpu).TotalSeconds:F1} s, of it validation {Stopwatch.GetElapsedTime(0, validationTicks).TotalSeconds:F1} s");
        directory.Delete(recursive: true);
        return stored == count ? 0 : 1;
    }
}
