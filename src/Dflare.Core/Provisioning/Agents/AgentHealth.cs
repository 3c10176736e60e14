using Dflare.Agent.Protocol;

namespace Dflare.Core.Provisioning.Agents;

/// <summary>
/// Decides a node's health from what its agent reports. Green unless: fewer or other GPUs than its SKU (or than it registered), an XID error
/// that means the GPU needs a reset or replacement, uncorrectable ECC errors, a GPU hotter than it should run, or a
/// fabric link down.
/// </summary>
public static class AgentHealth
{
    public const string Green = "Green";
    public const string Degraded = "Degraded";
    public const string Unreachable = "Unreachable";
    public const string Unknown = "Unknown";

    public const int MaxTemperatureC = 90;

    /// <summary>XIDs NVIDIA documents as needing a GPU reset or node drain (48 double-bit ECC, 63/64 row remapping,
    /// 74 NVLink, 79 fallen off the bus, 92 high single-bit ECC rate, 94/95 contained/uncontained ECC).</summary>
    public static readonly IReadOnlySet<int> CriticalXids = new HashSet<int> { 48, 63, 64, 74, 79, 92, 94, 95 };

    public static (string Health, string? Reason) OfInventory(NodeInventory inventory, string expectedModel, int expectedGpus)
    {
        var matching = inventory.Gpus.Count(g => g.Model == expectedModel);
        return matching == expectedGpus && inventory.Gpus.Count == expectedGpus
            ? (Green, null)
            : (Degraded, $"agent reports {inventory.Gpus.Count} GPU(s) ({string.Join(", ", inventory.Gpus.GroupBy(g => g.Model).Select(g => $"{g.Count()} × {g.Key}"))}); the SKU expects {expectedGpus} × {expectedModel}");
    }

    public static (string Health, string? Reason) OfHeartbeat(HeartbeatBody heartbeat, int registeredGpus)
    {
        var problems = new List<string>();
        if (heartbeat.Gpus.Count < registeredGpus)
        {
            // A GPU that fell off the bus simply vanishes from the driver's list.
            problems.Add($"{registeredGpus - heartbeat.Gpus.Count} of {registeredGpus} GPU(s) no longer reported");
        }
        foreach (var gpu in heartbeat.Gpus)
        {
            if (gpu.XidErrors.FirstOrDefault(CriticalXids.Contains) is var xid and > 0)
            {
                problems.Add($"GPU {gpu.Index} XID {xid}");
            }
            if (gpu.EccUncorrectable > 0)
            {
                problems.Add($"GPU {gpu.Index} {gpu.EccUncorrectable} uncorrectable ECC error(s)");
            }
            if (gpu.TemperatureC > MaxTemperatureC)
            {
                problems.Add($"GPU {gpu.Index} at {gpu.TemperatureC} °C");
            }
        }
        problems.AddRange(heartbeat.Links.Where(l => l.State != "Up").Select(l => $"{l.Fabric} link {l.Name} {l.State}"));
        return problems.Count == 0 ? (Green, null) : (Degraded, string.Join("; ", problems));
    }
}
