namespace Dflare.Server.Hosting;

/// <summary>The agent listener and the agent protocol. Bound from the <c>Agents</c> section.</summary>
public sealed class AgentOptions
{
    public const string SectionName = "Agents";

    /// <summary>Where agents connect: HTTPS with client certificates (mTLS), its certificate signed by the agent CA.</summary>
    public string Url { get; set; } = "https://127.0.0.1:5443";

    /// <summary>The address written into nodes' cloud-init when it differs from <see cref="Url"/> (a load balancer, a
    /// routable name); also put in the listener's certificate. Default: <see cref="Url"/> with the bound port.</summary>
    public string? AdvertisedUrl { get; set; }

    public TimeSpan CertificateLifetime { get; set; } = TimeSpan.FromHours(24);

    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Heartbeats missed in a row before a node is marked Unreachable.</summary>
    public int MissedHeartbeats { get; set; } = 3;
}

/// <summary>Provisioning. Bound from the <c>Provisioning</c> section.</summary>
public sealed class ProvisioningOptions
{
    public const string SectionName = "Provisioning";

    /// <summary>The catalog image for nodes whose <c>spec.image</c> is empty.</summary>
    public string? DefaultImage { get; set; }

    /// <summary>The control plane's address as booting nodes reach it (iPXE, the cloud-init seed, phone-home).
    /// Default: the first address of <c>Server:Urls</c> as bound.</summary>
    public string? BootServerUrl { get; set; }

    /// <summary>Inspect enrolled nodes and provision available ones that have an image (their own or
    /// <see cref="DefaultImage"/>) without being asked, as they appear. A node that fails waits for an operator.</summary>
    public bool Automatic { get; set; } = true;

    public TimeSpan BootstrapTokenLifetime { get; set; } = TimeSpan.FromHours(1);

    public TimeSpan BootTimeout { get; set; } = TimeSpan.FromMinutes(15);

    public TimeSpan RegistrationTimeout { get; set; } = TimeSpan.FromMinutes(10);

    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Attempts at a BMC that does not answer or is busy, before the node is marked Failed.</summary>
    public int BmcAttempts { get; set; } = 5;

    /// <summary>The first wait between BMC attempts; it doubles (with jitter) up to 30 s.</summary>
    public TimeSpan BmcBackoff { get; set; } = TimeSpan.FromSeconds(2);

    internal Core.Workflows.RetryPolicy BmcRetry => new(BmcAttempts, BmcBackoff, TimeSpan.FromSeconds(30));
}
