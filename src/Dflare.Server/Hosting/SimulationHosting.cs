using Dflare.Core.Inventory;
using Dflare.Core.Provisioning.Bmc;
using Dflare.Core.Secrets;
using Dflare.Persistence.Store;
using Dflare.Simulation;
using Dflare.Simulation.Bmc;
using Dflare.Simulation.Topology;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dflare.Server.Hosting;

/// <summary>The simulated datacenter. Bound from the <c>Simulation</c> section.</summary>
public sealed class SimulationOptions
{
    public const string SectionName = "Simulation";

    /// <summary>Unset: on with SQLite (the embedded default is the control plane next to a simulated datacenter), off
    /// with PostgreSQL (production). Set it to say either way.</summary>
    public bool? Enabled { get; set; }

    /// <summary>Whether the simulated datacenter runs, for a store provider.</summary>
    public bool IsEnabled(StoreProvider provider) => Enabled ?? provider == StoreProvider.Sqlite;

    /// <summary>A topology file (docs/simulation.md); empty for the default of 2 racks × 8 nodes × 8 GPUs.</summary>
    public string? Topology { get; set; }

    /// <summary>Simulated boot durations are multiplied by this: 1 is about a minute a node, 0 is instant.</summary>
    public double TimeScale { get; set; } = 0.1;

    /// <summary><c>Redfish</c>: BMCs are enrolled at their Redfish address on this server and driven over HTTP, as
    /// real ones are. <c>InProcess</c>: <c>sim://</c> addresses, for fleets where an HTTP call per operation would dominate.</summary>
    public string BmcProtocol { get; set; } = "Redfish";
}

internal sealed class SimulationOptionsValidator : IValidateOptions<SimulationOptions>
{
    public ValidateOptionsResult Validate(string? name, SimulationOptions options)
    {
        var errors = new List<string>();
        if (options.TimeScale is < 0 or > 100 || double.IsNaN(options.TimeScale))
        {
            errors.Add($"Simulation:TimeScale must be from 0 to 100; it is {options.TimeScale}.");
        }
        if (options.BmcProtocol is not ("Redfish" or "InProcess"))
        {
            errors.Add($"Simulation:BmcProtocol must be Redfish or InProcess; it is '{options.BmcProtocol}'.");
        }
        if (options.Enabled != false && options.Topology is { Length: > 0 } path)
        {
            try
            {
                _ = SimulationTopology.Load(path);
            }
            catch (InvalidDataException ex)
            {
                errors.Add($"Simulation:Topology: {ex.Message}");
            }
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

/// <summary>The simulated datacenter of this server, when <c>Simulation:Enabled</c>.</summary>
public sealed class SimulationHost(IOptions<SimulationOptions> options, IOptions<StoreOptions> store, TimeProvider time) : IDisposable
{
    private readonly Lazy<SimulatedDatacenter?> _datacenter = new(() => options.Value.IsEnabled(store.Value.Provider)
        ? new SimulatedDatacenter(
            options.Value.Topology is { Length: > 0 } path ? SimulationTopology.Load(path) : SimulationTopology.Default,
            options.Value.TimeScale, time, Path.Combine(Path.GetFullPath(store.Value.DataDirectory), "simulation"))
        : null);

    public SimulatedDatacenter? Datacenter => _datacenter.Value;

    public void Dispose()
    {
        if (_datacenter.IsValueCreated)
        {
            _datacenter.Value?.Dispose();
        }
    }
}

internal static class SimulationHosting
{
    public static IServiceCollection AddDflareSimulation(this IServiceCollection services)
    {
        services.AddOptions<SimulationOptions>().BindConfiguration(SimulationOptions.SectionName, binder => binder.ErrorOnUnknownConfiguration = true);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SimulationOptions>, SimulationOptionsValidator>());
        services.AddSingleton<SimulationHost>();
        // Tests may bring their own BMCs; otherwise the simulated datacenter's (or none).
        services.TryAddSingleton(sp => sp.GetRequiredService<SimulationHost>().Datacenter?.Bmcs ?? new SimulatedBmcs());
        services.AddSingleton(sp => new BmcDriverRegistration("sim", new SimulatorBmcDriver(sp.GetRequiredService<SimulatedBmcs>())));
        services.AddHostedService<SimulatedDatacenterService>();
        return services;
    }

    /// <summary>Serves the simulated BMCs' Redfish under <c>/bmc/{id}/redfish/v1</c> (they check Basic credentials
    /// themselves). Mapped always, read per request: with the simulation off there are no BMCs and every path is 404.</summary>
    public static void Map(WebApplication app) => app.MapRedfishBmcs().AllowAnonymous().ExcludeFromDescription();
}

/// <summary>
/// Once the server listens: enrols the simulated datacenter's manifest (what is already enrolled stays as it is)
/// and points its nodes at this server. Nodes that were provisioned before a restart are powered on from disk, and
/// their agents come back with the certificates they kept.
/// </summary>
internal sealed partial class SimulatedDatacenterService(
    SimulationHost host, IOptions<SimulationOptions> options, IOptions<ProvisioningOptions> provisioning, IServiceScopeFactory scopes,
    IHostApplicationLifetime lifetime, IServiceProvider services, TimeProvider time, ILogger<SimulatedDatacenterService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (host.Datacenter is not { } datacenter)
        {
            return;
        }
        await WhenStartedAsync(stoppingToken);
        if (stoppingToken.IsCancellationRequested)
        {
            return;
        }
        var bootServer = ProvisioningServices.BootServer(services, provisioning.Value);
        datacenter.Start(bootServer);
        var manifest = datacenter.Manifest(bmc => options.Value.BmcProtocol == "InProcess"
            ? SimulatorBmcDriver.EndpointOf(bmc).Address.ToString()
            : new Uri(bootServer, $"bmc/{bmc.Id}").ToString());
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<DflareDbContext>();
            var secrets = scope.ServiceProvider.GetRequiredService<SecretProtector>;
            // The fabrics first, so a node's provisioning already finds its cabling.
            var refused = await SimulatedNetwork.EnsureAsync(db, datacenter, time.GetUtcNow(), stoppingToken);
            if (refused.Count > 0)
            {
                LogManifestRefused(logger, string.Join("; ", refused.Take(5).Select(e => $"{e.Field}: {e.Message}")));
            }
            var errors = await InventoryManifests.ValidateAsync(db, manifest, secrets, stoppingToken);
            if (errors.Count > 0)
            {
                LogManifestRefused(logger, string.Join("; ", errors.Take(5).Select(e => $"{e.Field}: {e.Message}")));
                return;
            }
            var result = await InventoryManifests.ApplyAsync(db, manifest, secrets, time.GetUtcNow(), stoppingToken);
            LogEnrolled(logger, datacenter.Nodes.Count, result.Created[Node.KindName].Count, bootServer);

            var running = await db.Nodes.AsNoTracking()
                .Where(n => n.State == nameof(NodeState.Ready) || n.State == nameof(NodeState.Allocated) || n.State == nameof(NodeState.Draining))
                .Select(n => n.Name).ToListAsync(stoppingToken);
            foreach (var name in running.Where(n => datacenter.Nodes.Any(d => d.Name == n)))
            {
                datacenter.Node(name).Bmc.Reset(ResetKind.On);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A background loop must never stop the host: the store may be unreachable or not migrated yet.
            LogManifestRefused(logger, ex.Message);
        }
    }

    private async Task WhenStartedAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var onStarted = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        using var onStopping = stoppingToken.Register(() => started.TrySetResult());
        await started.Task;
    }

    [LoggerMessage(EventId = 5301, Level = LogLevel.Information, Message = "Simulated datacenter: {Nodes} node(s), {Created} newly enrolled; nodes boot from {BootServer}")]
    private static partial void LogEnrolled(ILogger logger, int nodes, int created, Uri bootServer);

    [LoggerMessage(EventId = 5302, Level = LogLevel.Error, Message = "The simulated datacenter's inventory could not be enrolled: {Reason}")]
    private static partial void LogManifestRefused(ILogger logger, string reason);
}
