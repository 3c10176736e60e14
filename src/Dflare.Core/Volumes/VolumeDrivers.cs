using System.Collections.Concurrent;
using Dflare.Persistence.Volumes;

namespace Dflare.Core.Volumes;

/// <summary>The driver of each backend, made once per backend name and path.</summary>
public sealed class VolumeDrivers
{
    private readonly ConcurrentDictionary<(string Name, string Driver, string Path), IVolumeDriver> _drivers = new();

    public IVolumeDriver For(StorageBackendRow backend) => _drivers.GetOrAdd((backend.Name, backend.Driver, backend.Path), key => key.Driver switch
    {
        "Simulated" => new SimulatedVolumeDriver(),
        "Posix" => new PosixVolumeDriver(key.Path),
        _ => throw new VolumeDriverException($"backend '{key.Name}' has driver '{key.Driver}', which is not served", transient: false),
    });
}
