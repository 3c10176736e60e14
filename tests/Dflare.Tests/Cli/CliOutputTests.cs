using System.Diagnostics;
using System.Text.Json.Nodes;
using Dflare.Cli;
using Dflare.Client.Specs;
using Dflare.Tests.Infrastructure;

namespace Dflare.Tests.Cli;

/// <summary>What <c>get</c> prints in each format, <c>--watch</c>, shell completion, and the executable itself.</summary>
[Collection(FleetCollection.Name)]
public sealed class CliOutputTests(FleetWorld world)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Get_PrintsTablesWideTablesJsonYamlAndNames_OfEveryPage()
    {
        var cli = await world.AdminAsync();
        var table = (await cli.OkAsync("get", "nodes")).Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^NAME\s+RACK\s+STATE\s+SKU\s+GPUS\s+HEALTH\s+AGE$", table[0]);
        Assert.Equal(17, table.Length);
        Assert.Matches(@"^sim-r1-n01\s+sim-r1\s+\w+\s+hgx-h100-8\s+8\s+\w+\s+\d+[smh]$", table[1]);

        var wide = (await cli.OkAsync("get", "nodes", "-o", "wide")).Out.Split('\n')[0];
        Assert.Matches(@"AGE\s+GPU-MODEL\s+IMAGE\s+HEARTBEAT$", wide);

        var json = JsonNode.Parse((await cli.OkAsync("get", "nodes", "-o", "json")).Out)!;
        Assert.Equal("NodeList", (string?)json["kind"]);
        Assert.Equal(16, json["items"]!.AsArray().Count);

        // YAML reads back as the same JSON (strings that look like numbers stay strings).
        var yaml = YamlDocuments.ToJson((await cli.OkAsync("get", "skus", "hgx-h100-8", "-o", "yaml")).Out)!;
        var same = JsonNode.Parse((await cli.OkAsync("get", "skus", "hgx-h100-8", "-o", "json")).Out)!;
        Assert.True(JsonNode.DeepEquals(same, yaml), $"{yaml.ToJsonString()}\n{same.ToJsonString()}");

        var names = (await cli.OkAsync("get", "nodes", "-o", "name")).Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(16, names.Length);
        Assert.Equal("node/sim-r1-n01", names[0]);

        // Lists are followed to their last page whatever the server's page size.
        Assert.Equal(16, (await cli.OkAsync("get", "no", "-o", "name", "--selector", "")).Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task Watch_PrintsAnObjectAgainWhenItChanges_UntilInterrupted()
    {
        var cli = await world.AdminAsync("watch");
        await world.Cluster.TenantAsync("watch");
        await cli.OkAsync("apply", "-f", world.File("v.yaml", "kind: Volume\nmetadata: { name: w1 }\nspec: { project: research, backend: sim-lustre, sizeBytes: 1073741824 }\n"), "--wait");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var output = new CapturingWriter();
        var watching = cli.RunAsync(["get", "volumes", "--watch"], output, stop.Token);
        await Poll.UntilAsync(_ => Task.FromResult(output.Text.Contains("w1", StringComparison.Ordinal) ? "" : null), TimeSpan.FromSeconds(30), "the first table");

        await cli.OkAsync("apply", "-f", world.File("v2.yaml", "kind: Volume\nmetadata: { name: w2 }\nspec: { project: research, backend: sim-lustre, sizeBytes: 1073741824 }\n"));
        await Poll.UntilAsync(_ => Task.FromResult(output.Text.Split('\n').Any(l => l.StartsWith("w2", StringComparison.Ordinal) && l.Contains("Ready", StringComparison.Ordinal)) ? "" : null),
            TimeSpan.FromSeconds(30), "w2 printed Ready");
        await cli.OkAsync("delete", "volume", "w1");
        await Poll.UntilAsync(_ => Task.FromResult(output.Text.Contains("volume/w1 deleted", StringComparison.Ordinal) ? "" : null), TimeSpan.FromSeconds(30), "w1 deleted");

        await stop.CancelAsync();
        var result = await watching;
        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Equal(1, result.Out.Split('\n').Count(l => l.StartsWith("NAME", StringComparison.Ordinal))); // one header, then rows
    }

    [Fact]
    public async Task Completion_PrintsShellScripts_AndSuggestsKindsFlagsAndNames()
    {
        var cli = await world.AdminAsync();
        Assert.Contains("complete -o default -F _dflare_complete dflare", (await cli.OkAsync("completion", "bash")).Out, StringComparison.Ordinal);
        Assert.Contains("compdef _dflare_complete dflare", (await cli.OkAsync("completion", "zsh")).Out, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Usage, (await cli.RunAsync("completion", "fish")).ExitCode);

        Assert.Equal("clusters\n", (await cli.OkAsync("[suggest:15]", "dflare get clus")).Out);
        Assert.Contains("--watch", (await cli.OkAsync("[suggest:17]", "dflare get nodes --w")).Out.Split('\n'));
        var nodes = (await cli.OkAsync("[suggest:27]", "dflare describe nodes sim-r2")).Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(8, nodes.Length);
        Assert.All(nodes, n => Assert.StartsWith("sim-r2-n", n, StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheExecutable_RunsTheSameCommands_AndExitsWithTheirCodes()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "dflare.dll");
        using var config = new TempDirectory();
        async Task<(int Code, string Out, string Error)> RunAsync(params string[] args)
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
            start.ArgumentList.Add(dll);
            foreach (var arg in args)
            {
                start.ArgumentList.Add(arg);
            }
            start.Environment["DFLARE_CONFIG"] = config.Path;
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync(Ct);
            var stderr = process.StandardError.ReadToEndAsync(Ct);
            await process.WaitForExitAsync(Ct);
            return (process.ExitCode, await stdout, await stderr);
        }

        var version = await RunAsync("version");
        Assert.Equal(0, version.Code);
        Assert.Matches(@"^dflare \d+\.\d+\.\d+", version.Out);
        var login = await RunAsync("login", "--server", world.Url, "--token", TestServer.AdminCredential);
        Assert.True(login.Code == 0, login.Error);
        var skus = await RunAsync("get", "skus", "-o", "name");
        Assert.Equal("sku/hgx-h100-8\n", skus.Out);
        var missing = await RunAsync("get", "node", "nope");
        Assert.Equal(ExitCodes.NotFound, missing.Code);
        Assert.Equal("error: Node 'nope' does not exist. (not-found)\n", missing.Error);
        Assert.Equal(ExitCodes.Usage, (await RunAsync("get")).Code);
    }
}
