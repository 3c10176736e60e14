using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Dflare.Core.Processes;

namespace Dflare.Core.Clusters;

/// <summary>
/// The Linux lab's cluster runtime: a real Slurm cluster on this host for each Slurm cluster — Debian's slurmctld,
/// one slurmd per node on loopback with its own port (Debian builds slurmd with MULTIPLE_SLURMD), a private munged,
/// fake GPUs as character devices (major 195, like /dev/nvidiaN), and accounting: slurmdbd on the cluster's own
/// MariaDB (loopback only), with the tenant's account tree (<c>accounts.sh</c>) applied and enforced. Runs as root.
/// </summary>
public sealed class LabSlurmRuntime(string root, TimeProvider time) : IClusterRuntime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private const int MaxNodes = 64;

    /// <summary>A cluster's directory: short, so the munge socket path stays under the 108-byte limit.</summary>
    public string DirectoryOf(Guid cluster) => Path.Combine(root, cluster.ToString("N")[..12]);

    private string Conf(Guid cluster) => Path.Combine(DirectoryOf(cluster), "slurm.conf");

    private SlurmRenderOptions Options(Guid cluster)
    {
        var dir = DirectoryOf(cluster);
        var portFile = Path.Combine(dir, "port");
        if (!File.Exists(portFile))
        {
            File.WriteAllText(portFile, FreePortRange(MaxNodes + 3).ToString(CultureInfo.InvariantCulture));
        }
        // The controller, then a slurmd port per node, then slurmdbd and the accounting database.
        var port = int.Parse(File.ReadAllText(portFile), CultureInfo.InvariantCulture);
        return new SlurmRenderOptions(Lab: true, dir, Path.Combine(dir, "munge.sock"), Dns.GetHostName(), port, port + MaxNodes + 1, port + MaxNodes + 2);
    }

    /// <summary>A run of free loopback ports for the controller and every slurmd.</summary>
    private static int FreePortRange(int count)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var start = Random.Shared.Next(20_000, 60_000 - count);
            if (Enumerable.Range(start, count).All(IsFree))
            {
                return start;
            }
        }
        throw new ClusterRuntimeException("no run of free loopback ports for Slurm", isTransient: true);
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public async Task<ClusterAccess> EnsureControlPlaneAsync(ClusterPlan plan, CancellationToken cancellationToken)
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            throw new ClusterRuntimeException("the Lab cluster runtime needs root on Linux (slurmd, munged, device files)", isTransient: false);
        }
        var dir = DirectoryOf(plan.Id);
        foreach (var sub in new[] { "state", "spool", "log", "dev" })
        {
            Directory.CreateDirectory(Path.Combine(dir, sub));
        }
        // munged insists that nobody but its owner can write where its key and socket live.
        File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        var key = Path.Combine(dir, "munge.key");
        if (!File.Exists(key))
        {
            await File.WriteAllBytesAsync(key, System.Security.Cryptography.RandomNumberGenerator.GetBytes(1024), cancellationToken);
            File.SetUnixFileMode(key, UnixFileMode.UserRead);
        }
        var options = Options(plan.Id);
        if (!Running(Path.Combine(dir, "munged.pid")))
        {
            await RunAsync("munged", ["-f", $"--socket={options.MungeSocket}", $"--key-file={key}", $"--pid-file={dir}/munged.pid",
                $"--log-file={dir}/log/munged.log", $"--seed-file={dir}/munged.seed"], cancellationToken);
        }
        await WriteConfigAsync(plan, options, cancellationToken);
        await EnsureAccountingAsync(plan, options, cancellationToken);
        if (!Running(Path.Combine(dir, "slurmctld.pid")))
        {
            await RunAsync("slurmctld", ["-f", Conf(plan.Id)], cancellationToken);
        }
        await UntilAsync(async () => (await SlurmAsync(plan.Id, "scontrol", ["ping"], cancellationToken)).Output.Contains("is UP", StringComparison.Ordinal), "slurmctld to answer", cancellationToken);
        // After slurmctld: it registers the GPU TRES that QoS limits name.
        var applied = await SlurmAsync(plan.Id, "sh", [Path.Combine(dir, "accounts.sh")], cancellationToken);
        if (applied.ExitCode != 0)
        {
            throw new ClusterRuntimeException($"the account tree was not applied: {applied.Error.Trim()}", isTransient: true);
        }
        return new ClusterAccess($"127.0.0.1:{options.ControllerPort}", new Dictionary<string, string>
        {
            ["runtime"] = "lab", ["slurmConf"] = Conf(plan.Id), ["mungeSocket"] = options.MungeSocket!, ["controllerHost"] = options.Hostname!,
        });
    }

    /// <summary>The cluster's accounting: its own MariaDB on loopback (made once), slurmdbd on it, the cluster registered.</summary>
    private async Task EnsureAccountingAsync(ClusterPlan plan, SlurmRenderOptions options, CancellationToken cancellationToken)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("The Lab cluster runtime runs on Linux.");
        }
        var dir = DirectoryOf(plan.Id);
        var data = Path.Combine(dir, "mariadb");
        if (!Directory.Exists(data))
        {
            await RunAsync("mariadb-install-db", [$"--datadir={data}", "--user=root", "--auth-root-authentication-method=normal"], cancellationToken);
        }
        var socket = Path.Combine(dir, "mariadb.sock");
        if (!Running(Path.Combine(dir, "mariadb.pid")))
        {
            // mariadbd does not daemonize itself: start-stop-daemon detaches it (stdio to /dev/null); it writes its pid file.
            await RunAsync("start-stop-daemon", ["--start", "--background", "--exec", "/usr/sbin/mariadbd", "--",
                $"--datadir={data}", "--user=root", $"--socket={socket}", $"--port={options.DatabasePort}", "--bind-address=127.0.0.1",
                $"--pid-file={dir}/mariadb.pid", $"--log-error={dir}/log/mariadb.log", "--skip-name-resolve"], cancellationToken);
            await UntilAsync(async () => (await ChildProcess.RunAsync("mariadb-admin", ["-S", socket, "-u", "root", "ping"], null, cancellationToken)).ExitCode == 0,
                "MariaDB to answer", cancellationToken);
        }
        File.SetUnixFileMode(Path.Combine(dir, "slurmdbd.conf"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        if (!Running(Path.Combine(dir, "slurmdbd.pid")))
        {
            var started = await SlurmAsync(plan.Id, "slurmdbd", [], cancellationToken);
            if (started.ExitCode != 0)
            {
                throw new ClusterRuntimeException($"slurmdbd exited {started.ExitCode}: {started.Error.Trim()}", isTransient: true);
            }
        }
        await UntilAsync(async () => (await SlurmAsync(plan.Id, "sacctmgr", ["-n", "-P", "list", "cluster", "format=cluster"], cancellationToken)).ExitCode == 0,
            "slurmdbd to answer", cancellationToken);
        var cluster = SlurmRenderer.ClusterName(plan);
        if (!(await SlurmAsync(plan.Id, "sacctmgr", ["-n", "-P", "list", "cluster", "format=cluster"], cancellationToken)).Output.Split('\n').Contains(cluster))
        {
            await SlurmAsync(plan.Id, "sacctmgr", ["-i", "add", "cluster", cluster], cancellationToken);
        }
    }

    /// <summary>Writes the rendered files; the nodes slurmctld knows change only through a restart (22.05).</summary>
    private async Task<bool> WriteConfigAsync(ClusterPlan plan, SlurmRenderOptions options, CancellationToken cancellationToken)
    {
        var dir = DirectoryOf(plan.Id);
        var gpus = plan.Nodes.Select(n => SlurmGres(n)).DefaultIfEmpty(0).Max();
        for (var i = 0; i < gpus; i++)
        {
            var device = Path.Combine(dir, "dev", $"nvidia{i}");
            if (!File.Exists(device))
            {
                await RunAsync("mknod", ["-m", "666", device, "c", "195", i.ToString(CultureInfo.InvariantCulture)], cancellationToken);
            }
        }
        var changed = false;
        foreach (var (name, text) in SlurmRenderer.All(plan, options))
        {
            var path = Path.Combine(dir, name);
            if (!File.Exists(path) || await File.ReadAllTextAsync(path, cancellationToken) != text)
            {
                await File.WriteAllTextAsync(path, text, cancellationToken);
                changed = true;
            }
        }
        foreach (var node in plan.Nodes)
        {
            Directory.CreateDirectory(Path.Combine(dir, "spool", node.Name));
        }
        return changed;
    }

    private static int SlurmGres(PlanNode node) => ClusterSpecRules.MigOf(node.Mig) is { Instances: > 0 } mig ? node.Gpus * mig.Instances : node.Gpus;

    public async Task JoinAsync(ClusterPlan plan, CancellationToken cancellationToken)
    {
        var dir = DirectoryOf(plan.Id);
        var wanted = plan.Nodes.Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        var running = Directory.GetFiles(dir, "slurmd-*.pid").Select(f => Path.GetFileNameWithoutExtension(f)["slurmd-".Length..]).ToList();
        if (await WriteConfigAsync(plan, Options(plan.Id), cancellationToken) || running.Any(r => !wanted.Contains(r)))
        {
            // Every daemon restarts on the new node list; jobs on kept nodes are held in the saved state.
            foreach (var node in running)
            {
                await StopAsync(Path.Combine(dir, $"slurmd-{node}.pid"), cancellationToken);
            }
            await StopAsync(Path.Combine(dir, "slurmctld.pid"), cancellationToken);
            await RunAsync("slurmctld", ["-f", Conf(plan.Id)], cancellationToken);
            await UntilAsync(async () => (await SlurmAsync(plan.Id, "scontrol", ["ping"], cancellationToken)).Output.Contains("is UP", StringComparison.Ordinal), "slurmctld to answer", cancellationToken);
        }
        foreach (var node in plan.Nodes.Where(n => !Running(Path.Combine(dir, $"slurmd-{n.Name}.pid"))))
        {
            await RunAsync("slurmd", ["-f", Conf(plan.Id), "-N", node.Name], cancellationToken);
        }
        await UntilAsync(async () =>
        {
            var states = await NodeStatesAsync(plan.Id, cancellationToken);
            return wanted.All(n => states.TryGetValue(n, out var s) && s is "idle" or "mixed" or "allocated" or "completing");
        }, "every slurmd to register", cancellationToken);
    }

    private async Task<Dictionary<string, string>> NodeStatesAsync(Guid cluster, CancellationToken cancellationToken)
    {
        var outcome = await SlurmAsync(cluster, "sinfo", ["-h", "-N", "-o", "%N %T"], cancellationToken);
        return outcome.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ', 2))
            .Where(p => p.Length == 2).GroupBy(p => p[0]).ToDictionary(g => g.Key, g => g.First()[1].Trim(), StringComparer.Ordinal);
    }

    public async Task DrainAsync(ClusterPlan plan, IReadOnlyList<string> nodes, CancellationToken cancellationToken)
    {
        if (nodes.Count == 0 || !Running(Path.Combine(DirectoryOf(plan.Id), "slurmctld.pid")))
        {
            return;
        }
        var list = string.Join(',', nodes);
        await SlurmAsync(plan.Id, "scontrol", ["update", $"NodeName={list}", "State=DRAIN", "Reason=dflare: leaving the cluster"], cancellationToken);
        await UntilAsync(async () => (await SlurmAsync(plan.Id, "squeue", ["-h", "-w", list, "-o", "%i"], cancellationToken)).Output.Trim().Length == 0, "jobs to leave the drained nodes", cancellationToken);
    }

    public async Task InstallGpuRuntimeAsync(ClusterPlan plan, CancellationToken cancellationToken)
    {
        // A Slurm cluster's GPU runtime is its GRES: each node must show the GPUs gres.conf gives it.
        foreach (var node in plan.Nodes)
        {
            var shown = (await SlurmAsync(plan.Id, "scontrol", ["show", "node", node.Name], cancellationToken)).Output;
            var expected = $"Gres=gpu:{SlurmRenderer.GresType(node.GpuModel)}:{SlurmGres(node)}";
            if (!shown.Contains(expected, StringComparison.Ordinal))
            {
                throw new ClusterRuntimeException($"node {node.Name} does not show {expected}", isTransient: true);
            }
        }
    }

    public async Task<IReadOnlyList<NodeCheck>> ValidateAsync(ClusterPlan plan, CancellationToken cancellationToken)
    {
        var states = await NodeStatesAsync(plan.Id, cancellationToken);
        // The smoke test: a job on every node at once, each asking for all of its GPUs and reporting what it was given.
        var checks = plan.Nodes.Select(async node =>
        {
            if (!states.TryGetValue(node.Name, out var state) || state is not ("idle" or "mixed" or "allocated"))
            {
                return new NodeCheck(node.Name, false, $"slurmd state {state ?? "unknown"}");
            }
            var gres = SlurmGres(node);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(Deadline);
            var outcome = await SlurmAsync(plan.Id, "srun", ["-w", node.Name, "-N1", "-n1", $"--gres=gpu:{gres}", "-t", "2", "--job-name=dflare-smoke",
                "sh", "-c", "echo $SLURMD_NODENAME $CUDA_VISIBLE_DEVICES"], timeout.Token);
            var words = outcome.Output.Trim().Split(' ');
            var seen = words.Length == 2 ? words[1].Split(',').Length : 0;
            return outcome.ExitCode == 0 && words[0] == node.Name && seen == gres
                ? new NodeCheck(node.Name, true, $"smoke job saw {seen} GPUs ({words[1]})")
                : new NodeCheck(node.Name, false, $"smoke job exited {outcome.ExitCode}: {outcome.Output.Trim()} {outcome.Error.Trim()}".Trim());
        });
        return await Task.WhenAll(checks);
    }

    public async Task TeardownAsync(Guid cluster, CancellationToken cancellationToken)
    {
        var dir = DirectoryOf(cluster);
        if (!Directory.Exists(dir))
        {
            return;
        }
        foreach (var pid in Directory.GetFiles(dir, "slurmd-*.pid"))
        {
            await StopAsync(pid, cancellationToken);
        }
        await StopAsync(Path.Combine(dir, "slurmctld.pid"), cancellationToken);
        await StopAsync(Path.Combine(dir, "slurmdbd.pid"), cancellationToken);
        await StopAsync(Path.Combine(dir, "mariadb.pid"), cancellationToken);
        await StopAsync(Path.Combine(dir, "munged.pid"), cancellationToken);
        Directory.Delete(dir, recursive: true);
    }

    private static int? Pid(string pidFile) =>
        File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture, out var pid) ? pid : null;

    private static bool Alive(int pid) => File.Exists($"/proc/{pid}/stat") && !File.ReadAllText($"/proc/{pid}/stat").Split(' ')[2].Equals("Z", StringComparison.Ordinal);

    private static bool Running(string pidFile) => Pid(pidFile) is { } pid && Alive(pid);

    private async Task StopAsync(string pidFile, CancellationToken cancellationToken)
    {
        if (Pid(pidFile) is { } pid && Alive(pid))
        {
            using (var process = Process.GetProcessById(pid))
            {
                process.Kill();
            }
            await UntilAsync(() => Task.FromResult(!Alive(pid)), $"process {pid} to exit", cancellationToken);
        }
        File.Delete(pidFile);
    }

    private Task<ProcessOutcome> SlurmAsync(Guid cluster, string command, IReadOnlyList<string> arguments, CancellationToken cancellationToken) =>
        ChildProcess.RunAsync("env", [$"SLURM_CONF={Conf(cluster)}", command, .. arguments], null, cancellationToken);

    private static async Task RunAsync(string command, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        ProcessOutcome outcome;
        try
        {
            outcome = await ChildProcess.RunAsync(command, arguments, null, cancellationToken);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new ClusterRuntimeException($"{command} is not installed (apt: slurmctld slurmd slurm-client munge)", isTransient: false, ex);
        }
        if (outcome.ExitCode != 0)
        {
            throw new ClusterRuntimeException($"{command} {string.Join(' ', arguments)} exited {outcome.ExitCode}: {outcome.Error.Trim()}", isTransient: true);
        }
    }

    /// <summary>Polls a condition with a deadline (daemons come up in their own time); never a fixed sleep.</summary>
    private async Task UntilAsync(Func<Task<bool>> condition, string what, CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow() + Deadline;
        var delay = TimeSpan.FromMilliseconds(50);
        while (!await condition())
        {
            if (time.GetUtcNow() > deadline)
            {
                throw new ClusterRuntimeException($"timed out waiting for {what}", isTransient: true);
            }
            await Task.Delay(delay, time, cancellationToken);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 500));
        }
    }
}
