using System.Diagnostics;
using System.Text.Json.Nodes;
using Dflare.Agent.Protocol;
using Dflare.Core.Provisioning.Bmc;
using Dflare.Core.Provisioning.CloudInit;
using Dflare.Simulation.Bmc;
using Dflare.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Dflare.Tests.Provisioning;

/// <summary>
/// Independent implementations judge what Dflare emits: DMTF's redfishtool drives a simulated BMC, and Debian's
/// cloud-init validates the user-data and parses the network-config the control plane renders. The test command
/// installs both; without them these tests fail rather than skip.
/// </summary>
public sealed class ExternalToolTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Redfishtool_ReadsTheSimulatedSystem_AndPowersItOnAndOff()
    {
        var bmc = new SimulatedBmc("rt-1", "admin", "s3cret", "SN-RT-1", "HGX H100 8-GPU", 112, 2048,
            [.. Enumerable.Range(0, 8).Select(i => new BmcGpu($"GPU{i}", "H100-SXM5-80GB", $"RT-GPU-{i}"))]);
        await using var app = await ServeAsync(bmc);
        var host = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First()).Authority;

        var read = await RedfishtoolAsync(host, "s3cret", "Systems", "-1");
        Assert.True(read.ExitCode == 0, $"redfishtool: {read.Output} {read.Error}");
        var system = JsonNode.Parse(read.Output)!;
        var processors = (await RedfishtoolAsync(host, "s3cret", "Systems", "-1", "Processors")).Output;
        var on = await RedfishtoolAsync(host, "s3cret", "Systems", "-1", "reset", "On");
        var afterOn = bmc.Power;
        var pxe = await RedfishtoolAsync(host, "s3cret", "Systems", "-1", "setBootOverride", "Once", "Pxe");
        var overrideSet = bmc.Snapshot(out _);
        var off = await RedfishtoolAsync(host, "s3cret", "Systems", "-1", "reset", "ForceOff");
        var refused = await RedfishtoolAsync(host, "wrong", "Systems", "-1");

        Assert.Equal("SN-RT-1", (string?)system["SerialNumber"]);
        Assert.Equal("Off", (string?)system["PowerState"]);
        Assert.Contains("/redfish/v1/Systems/1/Processors/GPU7", processors, StringComparison.Ordinal);
        Assert.Equal(0, on.ExitCode);
        Assert.Equal(PowerState.On, afterOn);
        Assert.Equal(0, pxe.ExitCode);
        Assert.Equal((BootTarget.Pxe, BootOverrideMode.Once), (overrideSet.BootOverride, overrideSet.BootOverrideMode));
        Assert.Equal(0, off.ExitCode);
        Assert.Equal(PowerState.Off, bmc.Power);
        Assert.NotEqual(0, refused.ExitCode);
    }

    [Fact]
    public async Task CloudInit_AcceptsTheRenderedUserData_AndParsesTheNetworkConfig()
    {
        using var directory = new TempDirectory();
        var seed = CloudInitRenderer.Render(new SeedInput(
            "gpu-r1-n01", Guid.CreateVersion7(), "ubuntu-2404-cuda-128", "https://images.example/ubuntu.img", new string('a', 64),
            new Uri("http://10.0.0.2:5080/provisioning/v1/nodes/gpu-r1-n01/phone-home"),
            new AgentConfig { Node = "gpu-r1-n01", ControlPlane = new Uri("https://10.0.0.2:5443"), BootstrapToken = "dfb_0123", CaCertificate = TestCertificatePem }));
        var userData = Path.Combine(directory.Path, "user-data");
        var networkConfig = Path.Combine(directory.Path, "network-config");
        var metaData = Path.Combine(directory.Path, "meta-data");
        await File.WriteAllTextAsync(userData, seed.UserData, Ct);
        await File.WriteAllTextAsync(networkConfig, seed.NetworkConfig, Ct);
        await File.WriteAllTextAsync(metaData, seed.MetaData, Ct);
        var broken = Path.Combine(directory.Path, "broken");
        await File.WriteAllTextAsync(broken, seed.UserData.Replace("manage_etc_hosts: true", "manage_etc_hosts: [1]", StringComparison.Ordinal), Ct);

        var valid = await RunAsync("cloud-init", "schema", "--config-file", userData);
        var invalid = await RunAsync("cloud-init", "schema", "--config-file", broken);
        var parsed = await RunAsync("/usr/bin/python3", "-c", """
            import sys, yaml
            from cloudinit.net.network_state import parse_net_config_data
            state = parse_net_config_data(yaml.safe_load(open(sys.argv[1]))["network"])
            meta = yaml.safe_load(open(sys.argv[2]))
            print(",".join(sorted(i["name"] for i in state.iter_interfaces())), meta["instance-id"], meta["dflare-image-sha256"])
            """, networkConfig, metaData);

        Assert.True(valid.ExitCode == 0, valid.Output + valid.Error);
        Assert.Contains("Valid cloud-config", valid.Output, StringComparison.Ordinal);
        Assert.NotEqual(0, invalid.ExitCode);
        Assert.True(parsed.ExitCode == 0, parsed.Error);
        Assert.StartsWith("fabric0,ib0 ", parsed.Output, StringComparison.Ordinal);
        Assert.Contains(new string('a', 64), parsed.Output, StringComparison.Ordinal);
        Assert.Equal("dfb_0123", CloudInitRenderer.ReadAgentConfig(seed.UserData)!.BootstrapToken);
    }

    private static async Task<WebApplication> ServeAsync(SimulatedBmc bmc)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapRedfishBmc(bmc);
        await app.StartAsync(Ct);
        return app;
    }

    private static Task<(int ExitCode, string Output, string Error)> RedfishtoolAsync(string host, string password, params string[] command) =>
        RunAsync("redfishtool", ["-r", host, "-u", "admin", "-p", password, "-S", "Never", "-T", "5", .. command]);

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start; ./test.sh installs it.");
        var output = process.StandardOutput.ReadToEndAsync(Ct);
        var error = process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);
        return (process.ExitCode, await output, await error);
    }

    private const string TestCertificatePem = """
        -----BEGIN CERTIFICATE-----
        MIIBfjCCASWgAwIBAgIUDflareTestCertificateOnlyForYAMLxMAoGCCqGSM49BAMC
        -----END CERTIFICATE-----
        """;
}
