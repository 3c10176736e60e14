using System.Net;
using Dflare.Core.Processes;
using Dflare.Tests.Infrastructure;

namespace Dflare.Tests.Core.Clusters;

/// <summary>
/// A real Slurm cluster made through the API (needs root, and Debian's slurmctld, slurmd and munge, which the test
/// command installs): four simulated H100 nodes become four real slurmd with eight fake GPUs each under a real
/// slurmctld, with slurmdbd on the cluster's own MariaDB holding the tenant's account tree, configured only by what
/// Dflare rendered; the cluster validates itself with a GPU job on every node, and a tenant's
/// <c>sbatch --gres=gpu:2 -N2</c> with the cluster's access details runs on two nodes with two GPUs each.
/// </summary>
public sealed class LabSlurmTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SlurmClusterThroughTheApi_RunsARealGpuJob_AndLeavesNothingBehind()
    {
        Assert.True(Environment.UserName == "root", "the Lab cluster runtime starts slurmd and munged and makes device files: it needs root (CI runs as root)");
        using var lab = new TempDirectory();
        await using var world = await ClusterWorld.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Clusters:Runtime"] = "Lab", ["Clusters:LabDirectory"] = Path.Combine(lab.Path, "slurm"),
        });
        await world.TenantAsync("globex");
        await world.CreatedAsync("/api/v1/tenants/globex/volumes", ClusterWorld.Example("volume-datasets.yaml"));
        await world.PhaseAsync("/api/v1/tenants/globex/volumes/datasets", "Ready");
        await world.CreatedAsync("/api/v1/tenants/globex/clusters", ClusterWorld.Example("slurm-cluster.yaml"));

        var cluster = await world.PhaseAsync("/api/v1/tenants/globex/clusters/train-a", "Operational");

        var operation = await world.GetAsync($"/api/v1/operations/{cluster["status"]!["operation"]}");
        var checks = operation["status"]!["steps"]!.AsArray().First(s => (string?)s!["name"] == "validation")!["output"]!.AsArray();
        Assert.Equal(4, checks.Count);
        Assert.All(checks, c => Assert.Contains("saw 8 GPUs (0,1,2,3,4,5,6,7)", (string?)c!["detail"], StringComparison.Ordinal));
        var access = await world.GetAsync("/api/v1/tenants/globex/clusters/train-a/access");
        var conf = (string)access["details"]!["slurmConf"]!;
        Assert.True(File.Exists(conf));

        // What a tenant runs with the access details: a two-node job, two GPUs on each.
        var output = Path.Combine(lab.Path, "job-%j.out");
        var submitted = await ChildProcess.RunAsync("env", [$"SLURM_CONF={conf}", "sbatch", "--wait", "--parsable", "--gres=gpu:2", "-N2", "-p", "gpu", "-t", "5",
            "-o", output, "--wrap", "srun sh -c 'echo $SLURMD_NODENAME $CUDA_VISIBLE_DEVICES'"], null, Ct);
        Assert.True(submitted.ExitCode == 0, $"sbatch exited {submitted.ExitCode}: {submitted.Output} {submitted.Error}");
        var job = submitted.Output.Trim();
        var lines = (await File.ReadAllLinesAsync(output.Replace("%j", job, StringComparison.Ordinal), Ct)).Where(l => l.Length > 0).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(2, lines.Count);
        var nodes = cluster["status"]!["nodes"]!.AsArray().Select(n => (string)n!["node"]!).ToHashSet();
        Assert.All(lines, l =>
        {
            var words = l.Split(' ');
            Assert.Contains(words[0], nodes);
            Assert.Equal("0,1", words[1]);
        });
        Assert.NotEqual(lines[0].Split(' ')[0], lines[1].Split(' ')[0]);

        // Accounting: the tenant's account tree with its fair-share shares and QoS is in slurmdbd, and enforced.
        var associations = await ChildProcess.RunAsync("env", [$"SLURM_CONF={conf}", "sacctmgr", "-n", "-P", "show", "assoc", "format=account,parentname,fairshare,qos"], null, Ct);
        Assert.Contains("research|globex|10|normal", associations.Output.Split('\n'));
        Assert.Contains(associations.Output.Split('\n'), l => l.StartsWith("globex|root|", StringComparison.Ordinal));
        var refused = await ChildProcess.RunAsync("env", [$"SLURM_CONF={conf}", "sbatch", "-A", "no-such-account", "-N1", "--wrap", "true"], null, Ct);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("Invalid account", refused.Error, StringComparison.Ordinal);

        var directory = Path.GetDirectoryName(conf)!;
        var pids = Directory.GetFiles(directory, "*.pid").Select(f => int.Parse(File.ReadAllText(f).Trim(), System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(8, pids.Count); // slurmctld, slurmdbd, MariaDB, munged and four slurmd
        Assert.Equal(HttpStatusCode.Accepted, (await world.Admin.DeleteAsync("/api/v1/tenants/globex/clusters/train-a", Ct)).StatusCode);
        await world.GoneAsync("/api/v1/tenants/globex/clusters/train-a");
        Assert.False(Directory.Exists(directory));
        Assert.All(pids, pid => Assert.False(File.Exists($"/proc/{pid}/cmdline") && File.ReadAllText($"/proc/{pid}/cmdline").Length > 0, $"process {pid} still runs"));
        await world.AllReadyAsync();
    }
}
