using System.Collections.Concurrent;

namespace Dflare.Simulation.Bmc;

/// <summary>The simulated datacenter's BMCs, by id.</summary>
public sealed class SimulatedBmcs
{
    private readonly ConcurrentDictionary<string, SimulatedBmc> _bmcs = new(StringComparer.Ordinal);

    public SimulatedBmc Add(SimulatedBmc bmc) =>
        _bmcs.TryAdd(bmc.Id, bmc) ? bmc : throw new InvalidOperationException($"A simulated BMC '{bmc.Id}' already exists.");

    public SimulatedBmc? Find(string id) => _bmcs.GetValueOrDefault(id);

    public IReadOnlyCollection<SimulatedBmc> All => [.. _bmcs.Values];
}
