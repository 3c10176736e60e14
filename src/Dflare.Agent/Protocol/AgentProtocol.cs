namespace Dflare.Agent.Protocol;

/// <summary>The paths of the agent protocol. Certificate issue takes the bootstrap token; everything else needs the
/// client certificate (mTLS) on the control plane's agent listener.</summary>
public static class AgentPaths
{
    public const string Certificate = "/agent/v1/certificate";
    public const string Renew = "/agent/v1/certificate/renew";
    public const string Register = "/agent/v1/register";
    public const string Heartbeat = "/agent/v1/heartbeat";
}

/// <summary>A PKCS#10 request in PEM. The control plane ignores its subject and names the node the token (or the
/// current certificate) belongs to.</summary>
public sealed record CertificateRequestBody(string Csr);

/// <summary>The signed client certificate and the CA that signed it (which also signed the agent listener's certificate).</summary>
public sealed record CertificateResponse(string Node, string Certificate, string CaCertificate, DateTimeOffset NotAfter);

public sealed record RegistrationBody(string AgentVersion, string Hostname, NodeInventory Inventory);

public sealed record NodeInventory(int Cpus, int MemoryGiB, IReadOnlyList<GpuInfo> Gpus, string GpuSource);

public sealed record GpuInfo(int Index, string Model, string SerialNumber, string? Uuid);

/// <summary>What the agent sees each heartbeat.</summary>
public sealed record HeartbeatBody(IReadOnlyList<GpuHealth> Gpus, IReadOnlyList<LinkHealth> Links);

/// <summary>One GPU's health; <c>XidErrors</c> are the XID codes (NVIDIA driver error events) seen since the last heartbeat.</summary>
public sealed record GpuHealth(int Index, int TemperatureC, long EccUncorrectable, IReadOnlyList<int> XidErrors);

/// <summary>A network link; <c>State</c> is Up or Down.</summary>
public sealed record LinkHealth(string Name, string Fabric, string State);

/// <summary>The control plane's answer to a registration or heartbeat: how often to beat, and what it decided.</summary>
public sealed record AgentInstructions(int HeartbeatIntervalSeconds, string Health, string? HealthReason);

/// <summary>What cloud-init writes to <c>/etc/dflare/agent.json</c>.</summary>
public sealed record AgentConfig
{
    public required string Node { get; init; }

    /// <summary>The agent listener, e.g. <c>https://10.0.0.2:5443</c>.</summary>
    public required Uri ControlPlane { get; init; }

    /// <summary>One-time: spent on the first certificate.</summary>
    public required string BootstrapToken { get; init; }

    /// <summary>The control plane's CA (PEM): the only root the agent trusts for the control plane.</summary>
    public required string CaCertificate { get; init; }

    /// <summary>Where the agent keeps its key and certificate (<c>/var/lib/dflare-agent</c>); null keeps them in memory.</summary>
    public string? StateDirectory { get; init; }
}
