using System.Collections.Concurrent;

namespace Dflare.Core.Volumes;

/// <summary>
/// The simulated backend: volumes in memory, with usage that tests (and the simulated datacenter) set. It behaves as
/// the POSIX driver does where the contract says so: idempotent operations, writes stopped over quota.
/// </summary>
public sealed class SimulatedVolumeDriver : IVolumeDriver
{
    private readonly ConcurrentDictionary<string, SimulatedVolume> _volumes = new(StringComparer.Ordinal);

    public Task<string> EnsureAsync(VolumeSpec volume, CancellationToken cancellationToken)
    {
        var stored = _volumes.GetOrAdd(volume.Key, _ => new SimulatedVolume());
        stored.Acl = volume.Acl;
        return Task.FromResult($"sim://{volume.Key}");
    }

    public Task<VolumeUsage> EnforceAsync(VolumeSpec volume, CancellationToken cancellationToken)
    {
        if (!_volumes.TryGetValue(volume.Key, out var stored))
        {
            throw new VolumeDriverException($"volume {volume.Key} does not exist on the simulated backend", transient: false);
        }
        var over = stored.Bytes > volume.QuotaBytes || stored.Inodes > volume.QuotaInodes;
        stored.WritesStopped = over;
        return Task.FromResult(new VolumeUsage(stored.Bytes, stored.Inodes, over, over));
    }

    public Task DeleteAsync(VolumeSpec volume, CancellationToken cancellationToken)
    {
        _volumes.TryRemove(volume.Key, out _);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>>([.. _volumes.Keys.Order(StringComparer.Ordinal)]);

    /// <summary>What a simulated workload wrote.</summary>
    public void SetUsage(VolumeSpec volume, long bytes, long inodes)
    {
        var stored = _volumes[volume.Key];
        stored.Bytes = bytes;
        stored.Inodes = inodes;
    }

    /// <summary>A volume left on the backend with no record (what a crash between two steps could leave).</summary>
    public void AddStray(string key) => _volumes.TryAdd(key, new SimulatedVolume());

    private sealed class SimulatedVolume
    {
        public IReadOnlyList<VolumeAclEntry> Acl { get; set; } = [];

        public long Bytes { get; set; }

        public long Inodes { get; set; }

        public bool WritesStopped { get; set; }
    }
}
