using Dflare.Core.Workflows;

namespace Dflare.Core.Provisioning;

/// <summary>What the provisioning workflow needs from configuration (bound by the server from <c>Provisioning</c> and <c>Agents</c>).</summary>
public sealed record ProvisioningSettings
{
    /// <summary>The image for nodes whose <c>spec.image</c> is empty; null means such nodes cannot be provisioned.</summary>
    public string? DefaultImage { get; init; }

    public TimeSpan BootstrapTokenLifetime { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How long PXE, the image and cloud-init may take before the node fetched its user-data.</summary>
    public TimeSpan BootTimeout { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>How long the agent may take to register with green health once cloud-init ran.</summary>
    public TimeSpan RegistrationTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How steps that talk to a BMC retry an unreachable or busy one.</summary>
    public RetryPolicy BmcRetry { get; init; } = new(5, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(30));

    /// <summary>How often waiting steps look again.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The agent listener as nodes reach it; resolved when first needed (the port may be chosen at start).</summary>
    public required Func<Uri> AgentEndpoint { get; init; }

    /// <summary>Where cloud-init's <c>phone_home</c> posts when it finished, for a node.</summary>
    public required Func<string, Uri> PhoneHome { get; init; }
}
