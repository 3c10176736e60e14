using System.Diagnostics;
using Dflare.Persistence.Store;
using Dflare.Server.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dflare.Benchmarks.Provisioning;

/// <summary>
/// Provisions a whole simulated fleet at once with zero simulated hardware delay and measures what it costs: process
/// CPU time per node and peak memory, from the server's start until every node is Ready. Not a BenchmarkDotNet
/// benchmark (one run is minutes, not microseconds): <c>dotnet run -c Release --project bench/Dflare.Benchmarks --
/// fleet 1000 [postgres]</c>. The simulated machines and their agents run in the same process, so the CPU figure is
/// an upper bound on the control plane's own share (TLS handshakes and requests are paid on both sides).
/// </summary>
public static class FleetProvisioningBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var nodes = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1000;
        var onPostgres = args.Contains("postgres");
        var postgres = onPostgres ? Environment.GetEnvironmentVariable("DFLARE_BENCH_POSTGRES") : null;
        if (onPostgres && postgres is null)
        {
            Console.Error.WriteLine("fleet … postgres needs DFLARE_BENCH_POSTGRES (scripts/bench.sh fleet 1000 postgres sets it).");
            return 2;
        }
        var directory = Directory.CreateTempSubdirectory("dflare-fleet-");
        try
        {
            var perRack = Math.Min(nodes, 40);
            var racks = (nodes + perRack - 1) / perRack;
            var total = racks * perRack;
            var topology = Path.Combine(directory.FullName, "topology.json");
            await File.WriteAllTextAsync(topology,
                $$"""{"skus":[{"name":"hgx-h100-8"}],"sites":[{"name":"bench","racks":{{racks}},"nodesPerRack":{{perRack}}}]}""");
            var settings = new Dictionary<string, string?>
            {
                ["Server:Urls"] = "http://127.0.0.1:0",
                ["Agents:Url"] = "https://127.0.0.1:0",
                ["Store:DataDirectory"] = directory.FullName,
                ["Simulation:Enabled"] = "true",
                ["Simulation:Topology"] = topology,
                ["Simulation:TimeScale"] = "0",
                ["Simulation:BmcProtocol"] = "InProcess",
                ["Provisioning:Automatic"] = "true",
                ["Workflows:Workers"] = "16",
                ["Logging:LogLevel:Default"] = "Warning",
            };
            // Any --Section:Key=value argument overrides the settings above, e.g. --Workflows:Workers=4.
            foreach (var arg in args.Where(a => a.StartsWith("--", StringComparison.Ordinal) && a.Contains('=', StringComparison.Ordinal)))
            {
                settings[arg[2..arg.IndexOf('=', StringComparison.Ordinal)]] = arg[(arg.IndexOf('=', StringComparison.Ordinal) + 1)..];
            }
            if (postgres is not null)
            {
                settings["Store:Provider"] = "Postgres";
                settings["Store:ConnectionString"] = postgres;
            }
            var process = Process.GetCurrentProcess();
            var cpuBefore = process.TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            await using var server = await DflareServer.StartAsync([], settings);
            var ready = 0;
            var deadline = TimeSpan.FromMinutes(30);
            while (clock.Elapsed < deadline)
            {
                ready = await CountAsync(server, "Ready");
                var failed = await CountAsync(server, "Failed");
                if (ready + failed >= total)
                {
                    break;
                }
                await Task.Delay(TimeSpan.FromMilliseconds(500));
            }
            clock.Stop();
            process.Refresh();
            var cpu = process.TotalProcessorTime - cpuBefore;
            Console.WriteLine($"fleet: {total} nodes, {ready} Ready in {clock.Elapsed.TotalSeconds:F1} s on {(postgres is null ? "SQLite" : "PostgreSQL")}; " +
                $"process CPU {cpu.TotalSeconds:F1} s = {cpu.TotalMilliseconds / Math.Max(1, total):F1} ms per node; " +
                $"peak working set {process.PeakWorkingSet64 / (1024 * 1024)} MiB; {Environment.ProcessorCount} cores");
            return ready == total ? 0 : 1;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            directory.Delete(recursive: true);
        }
    }

    private static async Task<int> CountAsync(DflareServer server, string state)
    {
        await using var scope = server.App.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<DflareDbContext>().Nodes.CountAsync(n => n.State == state);
    }
}
