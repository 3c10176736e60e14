using System.Text.Json.Nodes;
using Dflare.Tests.Infrastructure;

namespace Dflare.Tests.Cli;

/// <summary>The README's quickstart, command for command, on the simulated datacenter.</summary>
[Collection(FleetCollection.Name)]
public sealed class CliJourneyTests(FleetWorld world)
{
    [Fact]
    public async Task Quickstart_SignIn_Apply_WaitWithProgress_List_Describe_Usage_Delete()
    {
        var cli = world.NewCli();
        var login = await cli.OkAsync("login", "--server", world.Url, "--token", Infrastructure.TestServer.AdminCredential);
        Assert.Matches(@"^Signed in to http://127\.0\.0\.1:\d+ as platform/\S+ \(platform-admin\); context 'platform' is current\.$", login.Out.TrimEnd());

        Assert.Equal("tenant/acme created\n", (await cli.OkAsync("apply", "-f", FleetWorld.Example("tenant-acme.json"))).Out);
        await cli.OkAsync("config", "set-context", "platform", "--tenant", "acme");
        var prepared = await cli.OkAsync("apply", "-f", FleetWorld.Example("project-research.json"), "-f", FleetWorld.Example("volume-datasets.yaml"));
        Assert.Equal("project/research created\nvolume/datasets created\n", prepared.Out);

        var applied = await cli.OkAsync("apply", "-f", FleetWorld.Example("slurm-cluster.yaml"), "--wait");
        var lines = applied.Out.Split('\n');
        Assert.Equal("cluster/train-a created", lines[0]);
        Assert.StartsWith("cluster/train-a: converge-cluster (operation ", lines[1], StringComparison.Ordinal);
        // Every phase of the lifecycle is shown finishing, in order, with its time.
        string[] phases = ["place", "network", "storage", "control-plane", "workers", "gpu-runtime", "validation", "operational"];
        var finished = lines.Where(l => l.StartsWith("  ✓ ", StringComparison.Ordinal)).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]).ToList();
        Assert.Equal(phases, finished);
        Assert.All(lines.Where(l => l.StartsWith("  ✓ ", StringComparison.Ordinal)), l => Assert.Matches(@"Succeeded\s+\d+\.\ds$", l));
        Assert.Matches(@"cluster/train-a: converge-cluster succeeded in \d+\.\ds\.", applied.Out);
        Assert.EndsWith("cluster/train-a is Operational\n", applied.Out, StringComparison.Ordinal);

        var list = (await cli.OkAsync("get", "clusters")).Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^NAME\s+PROJECT\s+TYPE\s+PHASE\s+NODES\s+GPUS\s+AGE$", list[0]);
        Assert.Matches(@"^train-a\s+research\s+slurm\s+Operational\s+4\s+32\s+\d+s$", list[1]);
        Assert.Equal(2, list.Length);

        var described = (await cli.OkAsync("describe", "cluster", "train-a")).Out;
        Assert.Matches(@"Phase:\s+Operational", described);
        Assert.Contains("Nodes (4, 32 GPUs):", described, StringComparison.Ordinal);
        Assert.Contains("  datasets at /data", described, StringComparison.Ordinal);
        Assert.Contains("Access:", described, StringComparison.Ordinal);
        Assert.Matches(@"Last operation: converge-cluster [0-9a-f-]+, Succeeded", described);

        // The nodes it holds are Allocated, and GPU-hours accrue before any hour is rated.
        var nodes = (await cli.OkAsync("get", "nodes")).Out;
        Assert.Equal(4, nodes.Split('\n').Count(l => l.Contains(" Allocated ", StringComparison.Ordinal)));
        var usage = (await cli.OkAsync("get", "usage")).Out;
        Assert.Matches(@"research\s+allocated-gpu-hours\s+[0-9.]+\s+GPU-hour\s+0\s+accruing", usage);

        var deleted = await cli.OkAsync("delete", "cluster", "train-a", "--wait");
        Assert.StartsWith("cluster/train-a deleting (operation ", deleted.Out, StringComparison.Ordinal);
        Assert.Contains("cluster/train-a: delete-cluster succeeded", deleted.Out, StringComparison.Ordinal);
        Assert.EndsWith("cluster/train-a deleted\n", deleted.Out, StringComparison.Ordinal);
        Assert.Equal("No clusters found.\n", (await cli.OkAsync("get", "clusters")).Out);
        await world.Cluster.AllReadyAsync(); // every node wiped and given back
    }

    [Fact]
    public async Task Operations_AreListedForTheTenant_AndDescribedStepByStep()
    {
        var cli = await world.AdminAsync("ops");
        await world.Cluster.TenantAsync("ops");
        await cli.OkAsync("apply", "-f", world.File("vol.yaml", """
            kind: Volume
            metadata: { name: scratch }
            spec: { project: research, backend: sim-lustre, sizeBytes: 1073741824 }
            """), "--wait");
        // An operator sees a tenant's operations by naming it; without, every operation (nodes' and fabrics' too).
        var operations = (await cli.OkAsync("get", "operations", "--tenant", "ops")).Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^ID\s+WORKFLOW\s+TARGET\s+PHASE\s+STEP\s+AGE$", operations[0]);
        var row = Assert.Single(operations.Skip(1));
        Assert.Matches(@"provision-volume\s+volume/ops/scratch\s+Succeeded", row);
        Assert.Contains("provision-node", (await cli.OkAsync("get", "operations")).Out, StringComparison.Ordinal);

        var id = row.Split(' ')[0];
        var described = (await cli.OkAsync("describe", "operation", id)).Out;
        Assert.Matches(@"Workflow:\s+provision-volume", described);
        Assert.Matches(@"Phase:\s+Succeeded", described);
        Assert.Matches(@"STEP\s+STATE\s+ATTEMPTS\s+TOOK\s+NOTE", described);

        var json = JsonNode.Parse((await cli.OkAsync("get", "operation", id, "-o", "json")).Out)!;
        Assert.Equal("Operation", (string?)json["kind"]);
        Assert.Equal("Succeeded", (string?)json["status"]!["phase"]);
    }
}
