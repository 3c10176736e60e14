using Dflare.Cli;
using Dflare.Tests.Infrastructure;

namespace Dflare.Tests.Cli;

/// <summary>Every way a command fails: one line on standard error naming what is wrong and the problem code, the
/// documented exit code, nothing on standard output, and nothing changed on the server.</summary>
[Collection(FleetCollection.Name)]
public sealed class CliErrorTests(FleetWorld world)
{
    private static void Refused(CliResult result, int exitCode, string pattern)
    {
        Assert.True(result.ExitCode == exitCode, result.ToString());
        Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Matches(pattern, result.Error);
        Assert.StartsWith("error: ", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABadSpec_NamesTheFile_TheLine_TheField_AndTheCode_AndCreatesNothing()
    {
        var cli = await world.AdminAsync("badspec");
        await world.Cluster.TenantAsync("badspec");
        var file = world.File("bad.yaml", """
            apiVersion: dflare.ai/v1
            kind: Cluster
            metadata: { name: bad }
            spec:
              project: research
              type: slurm
              pools:
                - name: gpu
                  sku: hgx-h100-8
                  count: 0
            """);
        var result = await cli.RunAsync("apply", "-f", file);
        Refused(result, ExitCodes.Usage, $@"^error: {System.Text.RegularExpressions.Regex.Escape(file)}:10: spec\.pools\[0\]\.count must be 1 to 1024\. \(validation-failed\)");
        Assert.Equal("", result.Out);

        var misspelt = world.File("typo.yaml", "kind: Cluster\nmetadata: { name: typo }\nspec:\n  project: research\n  type: slurm\n  pools:\n    - { name: gpu, sku: hgx-h100-8, count: 1, gpuz: 8 }\n");
        Refused(await cli.RunAsync("create", "-f", misspelt), ExitCodes.Usage, @":7: .*spec\.pools\[0\]\.gpuz.*\(unknown-field\)");

        Assert.Equal("No clusters found.\n", (await cli.OkAsync("get", "clusters")).Out);
    }

    [Fact]
    public async Task AFileThatIsNoSpec_IsAUsageError_BeforeAnythingIsSent()
    {
        var cli = await world.AdminAsync("nospec");
        Refused(await cli.RunAsync("apply", "-f", world.File("broken.yaml", "kind: Cluster\nmetadata: {name: x}\nspec: [\n")), ExitCodes.Usage, @"broken\.yaml:4: not valid YAML");
        Refused(await cli.RunAsync("apply", "-f", world.File("kindless.yaml", "metadata: {name: x}\nspec: {}\n")), ExitCodes.Usage, @"kindless\.yaml:1: kind is required");
        Refused(await cli.RunAsync("apply", "-f", world.File("nameless.yaml", "kind: Volume\nmetadata:\n  labels: {}\nspec: {}\n")), ExitCodes.Usage, @"nameless\.yaml:2: metadata\.name is required");
        Refused(await cli.RunAsync("apply", "-f", world.File("odd.yaml", "kind: Spaceship\nmetadata: {name: x}\n")), ExitCodes.Usage, @"kind 'Spaceship' is not one dflare can apply");
        Refused(await cli.RunAsync("apply", "-f", "/nonexistent/spec.yaml"), ExitCodes.Usage, @"/nonexistent/spec\.yaml: ");
    }

    [Fact]
    public async Task NotFound_Conflict_AndBadQueries_HaveTheirExitCodes()
    {
        var cli = await world.AdminAsync("codes");
        await world.Cluster.TenantAsync("codes");
        Refused(await cli.RunAsync("get", "cluster", "nope"), ExitCodes.NotFound, @"^error: Cluster 'nope' does not exist\. \(not-found\)");
        Refused(await cli.RunAsync("describe", "node", "no-such-node"), ExitCodes.NotFound, @"\(not-found\)");
        Refused(await cli.RunAsync("delete", "volume", "nope"), ExitCodes.NotFound, @"\(not-found\)");
        Refused(await cli.RunAsync("get", "clusters", "--tenant", "no-such-tenant"), ExitCodes.NotFound, @"\(not-found\)");

        var volume = world.File("v.yaml", "kind: Volume\nmetadata: { name: once }\nspec: { project: research, backend: sim-lustre, sizeBytes: 1073741824 }\n");
        await cli.OkAsync("create", "-f", volume);
        Refused(await cli.RunAsync("create", "-f", volume), ExitCodes.Conflict, @"v\.yaml:2: Volume 'once' already exists.*\(already-exists\)");
        // apply is the verb for what exists: the same spec again changes nothing.
        Assert.Equal("volume/once unchanged\n", (await cli.OkAsync("apply", "-f", volume)).Out);

        Refused(await cli.RunAsync("get", "clusters", "-l", "team in (a"), ExitCodes.Usage, @"\(invalid-query\)");
        Refused(await cli.RunAsync("get", "usage", "--from", "yesterday-ish"), ExitCodes.Usage, @"--from yesterday-ish: give a date");
    }

    [Fact]
    public async Task TheCommandLineItself_IsChecked()
    {
        var cli = await world.AdminAsync();
        Refused(await cli.RunAsync("get", "clusters", "--bogus"), ExitCodes.Usage, @"Unrecognized command or argument '--bogus'.*see 'dflare get --help'");
        Refused(await cli.RunAsync("frobnicate"), ExitCodes.Usage, @"frobnicate");
        Refused(await cli.RunAsync("get", "spaceships"), ExitCodes.Usage, @"'spaceships' is not a kind dflare knows; use one of nodes, clusters");
        Refused(await cli.RunAsync("get", "nodes", "-o", "xml"), ExitCodes.Usage, @"-o xml is not an output format");
        Refused(await cli.RunAsync("apply"), ExitCodes.Usage, @"--filename");
        Refused(await cli.RunAsync("delete"), ExitCodes.Usage, @"dflare delete KIND NAME");
        Refused(await cli.RunAsync("apply", "-f", FleetWorld.Example("volume-datasets.yaml"), "--wait", "--timeout", "soon"), ExitCodes.Usage, @"--timeout soon");
        Refused(await cli.RunAsync("config", "use-context", "nowhere"), ExitCodes.NotFound, @"no context 'nowhere'");
    }

    [Fact]
    public async Task NoSignIn_ABadCredential_OrAMissingPermission_AreRefusedWithExitCode6()
    {
        Refused(await world.NewCli().RunAsync("get", "nodes"), ExitCodes.Unauthorized, @"Not signed in: run dflare login");
        Refused(await world.NewCli(new Dictionary<string, string?> { ["DFLARE_SERVER"] = world.Url, ["DFLARE_TOKEN"] = "dfl_not_a_credential" }).RunAsync("get", "nodes"),
            ExitCodes.Unauthorized, @"\(unauthenticated\) — sign in with dflare login");
        Refused(await world.NewCli().RunAsync("login", "--server", world.Url, "--token", "dfl_not_a_credential"), ExitCodes.Unauthorized, @"invalid_token");

        var tenantUser = await CliLoginTests.TenantUserAsync(world, "perm", "viewer");
        Refused(await tenantUser.RunAsync("get", "nodes"), ExitCodes.Unauthorized, @"inventory\.read.*\(forbidden\)");
        Refused(await tenantUser.RunAsync("apply", "-f", world.File("v.yaml", "kind: Volume\nmetadata: { name: v }\nspec: { project: research, backend: sim-lustre, sizeBytes: 1073741824 }\n")),
            ExitCodes.Unauthorized, @"volumes\.create.*\(forbidden\)");
    }

    [Fact]
    public async Task WaitingLongerThanTheTimeout_ExitsWith5_AndTheOperationGoesOn()
    {
        var cli = await world.AdminAsync("slow");
        await world.Cluster.TenantAsync("slow");
        // More GPUs than the fleet has: placement waits for capacity, with the reason.
        var file = world.File("big.yaml", "kind: Cluster\nmetadata: { name: big }\nspec:\n  project: research\n  type: slurm\n  pools:\n    - { name: gpu, sku: hgx-h100-8, count: 64 }\n");
        var result = await cli.RunAsync("apply", "-f", file, "--wait", "--timeout", "2s");
        Assert.True(result.ExitCode == ExitCodes.Timeout, result.ToString());
        Assert.Matches(@"^error: Operation [0-9a-f-]+ is still Running after 2 s \(at place\)", result.Error);
        Assert.Contains("waiting for", result.Out, StringComparison.Ordinal);
        Assert.Matches(@"big\s+research\s+slurm\s+(Requested|Waiting)", (await cli.OkAsync("get", "cluster", "big")).Out);
        await cli.OkAsync("delete", "cluster", "big", "--wait");
    }
}
