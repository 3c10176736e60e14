using Dflare.Agent.Protocol;

namespace Dflare.Agent.Gpus;

/// <summary>Where the agent learns about the node's GPUs: NVML on a real node, the simulator on a simulated one.</summary>
public interface IGpuSource
{
    /// <summary>A word for the registration: <c>nvml</c> or <c>simulator</c>.</summary>
    string Name { get; }

    IReadOnlyList<GpuInfo> Inventory();

    IReadOnlyList<GpuHealth> Health();
}

/// <summary>GPUs handed to the agent by whoever starts it (the simulated datacenter); health is whatever it sets.</summary>
public sealed class StaticGpuSource(IReadOnlyList<GpuInfo> gpus) : IGpuSource
{
    private volatile IReadOnlyList<GpuHealth> _health = [.. gpus.Select(g => new GpuHealth(g.Index, 40, 0, []))];

    public string Name => "simulator";

    public IReadOnlyList<GpuInfo> Inventory() => gpus;

    public IReadOnlyList<GpuHealth> Health() => _health;

    /// <summary>What the next heartbeats report (a test or a simulated fault sets an XID error or a hot GPU).</summary>
    public void SetHealth(IReadOnlyList<GpuHealth> health) => _health = health;
}
