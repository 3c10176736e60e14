using System.Collections.Concurrent;
using Dflare.Persistence.Network;

namespace Dflare.Core.Network;

/// <summary>How fabrics behave. Bound from the <c>Network</c> section.</summary>
public sealed class NetworkSettings
{
    /// <summary>How often every fabric is compared with the store and repaired. Default: 1 minute.</summary>
    public TimeSpan ReconcileInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>The Lab driver's namespace prefix (keep it short: names end up in interface names).</summary>
    public string LabPrefix { get; init; } = "dfl";

    /// <summary>Where the Lab driver writes the subnet manager's files.</summary>
    public string LabStateDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "dflare-fabric");

    /// <summary>False builds Lab fabrics without tenant isolation: only for showing that the isolation test can fail.</summary>
    public bool LabIsolation { get; init; } = true;
}

/// <summary>The driver of each fabric, made once per fabric name and driver (the simulator's state lives in it).</summary>
public sealed class FabricDrivers(NetworkSettings settings)
{
    private readonly ConcurrentDictionary<(string Name, string Driver), IFabricDriver> _drivers = new();

    public IFabricDriver For(FabricRow fabric) => _drivers.GetOrAdd((fabric.Name, fabric.Driver), key => key.Driver switch
    {
        "Simulated" => new SimulatedFabricDriver(),
        "Lab" => new LabFabricDriver(settings.LabPrefix, settings.LabStateDirectory, settings.LabIsolation),
        _ => throw new FabricDriverException($"fabric '{key.Name}' has driver '{key.Driver}', which is not served", transient: false),
    });
}
