using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Dflare.Simulation.Bmc;
using Dflare.Simulation.Topology;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Dflare.Simulation.Standalone;

/// <summary>
/// <c>dflare-sim</c>: the simulated datacenter as its own process, next to a control plane that runs elsewhere (on
/// PostgreSQL, say, where the server starts none of its own). It serves every BMC's Redfish over HTTP on its own
/// address, enrols its expected-machines manifest through the control plane's public API, and its machines boot from
/// the control plane like real ones: nothing but the network joins the two processes.
/// </summary>
public static class StandaloneSimulator
{
    public const int ExitOk = 0;
    public const int ExitError = 1;
    public const int ExitUsage = 2;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>Runs until <paramref name="stop"/> fires (the host wires it to SIGTERM and Ctrl-C). <paramref name="ready"/>
    /// is told the BMCs' address once the manifest is enrolled.</summary>
    public static async Task<int> RunAsync(
        IReadOnlyList<string> args, TextWriter output, TextWriter error, CancellationToken stop, Action<Uri>? ready = null)
    {
        var (options, usage) = StandaloneOptions.Parse(args, Environment.GetEnvironmentVariable("DFLARE_TOKEN"));
        if (usage is not null)
        {
            await error.WriteLineAsync($"dflare-sim: {usage}");
            await error.WriteLineAsync(StandaloneOptions.Usage);
            return ExitUsage;
        }
        if (options!.Help)
        {
            await output.WriteLineAsync(StandaloneOptions.Usage);
            return ExitOk;
        }
        SimulationTopology topology;
        try
        {
            topology = options.TopologyFile is { } file ? SimulationTopology.Load(file) : SimulationTopology.Default;
        }
        catch (InvalidDataException ex)
        {
            await error.WriteLineAsync($"dflare-sim: {ex.Message}");
            return ExitUsage;
        }

        using var datacenter = new SimulatedDatacenter(topology, options.TimeScale, TimeProvider.System, options.StateDirectory);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(options.Urls);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        await using var app = builder.Build();
        app.MapRedfishBmcs(datacenter.Bmcs);
        await app.StartAsync(stop);
        try
        {
            var address = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
            datacenter.Start(options.BootServer ?? options.ControlPlane);
            var manifest = datacenter.Manifest(bmc => new Uri(address, $"bmc/{bmc.Id}").ToString());
            var refusal = await EnrolAsync(options, manifest, SimulatedFabrics.Of(datacenter), stop);
            if (refusal is not null)
            {
                await error.WriteLineAsync($"dflare-sim: the control plane refused the manifest: {refusal}");
                return ExitError;
            }
            await output.WriteLineAsync(
                $"dflare-sim: {datacenter.Nodes.Count} node(s) enrolled at {options.ControlPlane}; BMCs at {address}bmc/{{node}}/redfish/v1");
            ready?.Invoke(address);
            await Task.Delay(Timeout.Infinite, stop).ContinueWith(_ => { }, TaskScheduler.Default);
            return ExitOk;
        }
        catch (HttpRequestException ex)
        {
            await error.WriteLineAsync($"dflare-sim: the control plane at {options.ControlPlane} cannot be reached: {ex.Message}");
            return ExitError;
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>POSTs the manifest; null when it was applied, otherwise the problem document's words.</summary>
    private static async Task<string?> EnrolAsync(
        StandaloneOptions options, Core.Inventory.InventoryManifest manifest, (IReadOnlyList<Core.Network.Fabric> Fabrics, IReadOnlyList<Core.Network.NetworkPool> Pools) network,
        CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = options.ControlPlane, Timeout = TimeSpan.FromMinutes(2) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.Token);
        using var response = await http.PostAsJsonAsync("api/v1/manifests", manifest, Json, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            return await RefusalAsync(response, cancellationToken);
        }
        // The fabrics and their pools; ones registered by an earlier run (409 already-exists) stay as they are.
        foreach (var (path, body) in network.Fabrics.Select(f => ("api/v1/fabrics", (object)f)).Concat(network.Pools.Select(p => ("api/v1/network-pools", (object)p))))
        {
            using var created = await http.PostAsync(path, JsonContent.Create(body, body.GetType(), options: Json), cancellationToken);
            if (!created.IsSuccessStatusCode && created.StatusCode != System.Net.HttpStatusCode.Conflict)
            {
                return await RefusalAsync(created, cancellationToken);
            }
        }
        return null;
    }

    private static async Task<string?> RefusalAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            var problem = JsonNode.Parse(body);
            var errors = problem?["errors"]?.AsArray().Take(3).Select(e => $"{e?["field"]}: {e?["message"]}") ?? [];
            return $"{(int)response.StatusCode} {problem?["code"]}: {problem?["detail"] ?? problem?["title"]} {string.Join("; ", errors)}".TrimEnd();
        }
        catch (JsonException)
        {
            return $"{(int)response.StatusCode} {response.ReasonPhrase}";
        }
    }
}
