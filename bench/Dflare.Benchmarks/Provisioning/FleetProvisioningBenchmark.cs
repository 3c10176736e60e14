using System.Diagnostics;
using System.Globalization;
using Dflare.Persistence.Store;
using Dflare.Server.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dflare.Benchmarks.Provisioning;

/// <summary>
/// Provisions a whole simulated fleet at once with zero simulated hardware delay and measures what the control plane
/// pays: its CPU time per node and its peak memory, from the server's start until every node is Ready. Not a
/// BenchmarkDotNet benchmark (one run is minutes, not microseconds): <c>dotnet run -c Release --project
/// bench/Dflare.Benchmarks -- fleet 1000 [postgres] [in-process]</c>.
/// By default the simulated datacenter runs as its own process (<c>dflare-sim</c>), so this process is the control
/// plane alone and both figures are its own; the simulator's CPU is reported beside them. <c>in-process</c> runs the
/// simulation inside the server instead (BMCs called in process, no Redfish over HTTP), the upper bound of earlier runs.
/// </summary>
public static class FleetProvisioningBenchmark
{
    private const string Credential = "dfl_bench_admin_credential_0123456789abcdef";

    public static async Task<int> RunAsync(string[] args)
    {
        var nodes = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1000;
        var onPostgres = args.Contains("postgres");
        var inProcess = args.Contains("in-process");
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
                ["Bootstrap:AdminCredential"] = Credential,
                ["Simulation:Enabled"] = inProcess ? "true" : "false",
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
            process.Refresh();
            var cpuStarted = process.TotalProcessorTime - cpuBefore;
            using var simulator = inProcess ? null : StartSimulator(server.BaseAddress, topology);
            var ready = 0;
            var deadline = TimeSpan.FromMinutes(30);
            while (clock.Elapsed < deadline && simulator is not { HasExited: true })
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
            var simulatorCpu = simulator is { HasExited: false } ? simulator.TotalProcessorTime : TimeSpan.Zero;
            simulator?.Kill(entireProcessTree: true);
            var perNode = cpu.TotalMilliseconds / Math.Max(1, total);
            var perNodeAfterStart = (cpu - cpuStarted).TotalMilliseconds / Math.Max(1, total);
            Console.WriteLine(
                $"fleet: {total} nodes, {ready} Ready in {clock.Elapsed.TotalSeconds:F1} s on {(postgres is null ? "SQLite" : "PostgreSQL")}, " +
                $"simulation {(inProcess ? "in process" : "in its own process")}; " +
                $"{(inProcess ? "control plane + simulation" : "control plane")} CPU {cpu.TotalSeconds:F1} s = {perNode:F1} ms per node " +
                $"({perNodeAfterStart:F1} ms per node after the {cpuStarted.TotalSeconds:F1} s start); " +
                $"peak working set {process.PeakWorkingSet64 / (1024 * 1024)} MiB" +
                (inProcess ? "" : $"; dflare-sim CPU {simulatorCpu.TotalSeconds:F1} s") + $"; {Environment.ProcessorCount} cores");
            return ready == total ? 0 : 1;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            directory.Delete(recursive: true);
        }
    }

    /// <summary>dflare-sim next to this benchmark's own assembly (the project reference copies it there).</summary>
    private static Process StartSimulator(Uri controlPlane, string topology)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "dflare-sim.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = false, RedirectStandardError = false };
        foreach (var arg in new[] { dll, "--control-plane", controlPlane.ToString(), "--token", Credential, "--topology", topology, "--time-scale", "0" })
        {
            start.ArgumentList.Add(arg);
        }
        return Process.Start(start) ?? throw new InvalidOperationException("dflare-sim did not start");
    }

    private static async Task<int> CountAsync(DflareServer server, string state)
    {
        await using var scope = server.App.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<DflareDbContext>().Nodes.CountAsync(n => n.State == state);
    }
}
