namespace Dflare.Core.Provisioning.Bmc;

/// <summary>
/// Out-of-band control of one node through its baseboard management controller: read the system, switch power,
/// and set the next boot source. Implemented by the Redfish driver (production, and the simulated datacenter, which
/// speaks Redfish) and by the in-process simulator; one contract-test suite holds every implementation to the same
/// behaviour. Failures throw <see cref="BmcException"/> with a kind that says whether retrying may help.
/// </summary>
public interface IBmcDriver
{
    Task<BmcSystem> GetSystemAsync(BmcEndpoint bmc, CancellationToken cancellationToken);

    /// <summary>Requests a power change; returns once the BMC has accepted it.</summary>
    Task ResetAsync(BmcEndpoint bmc, ResetKind reset, CancellationToken cancellationToken);

    /// <summary>Sets the boot source for the next boot only (<paramref name="once"/>) or until changed.</summary>
    Task SetBootOverrideAsync(BmcEndpoint bmc, BootTarget target, bool once, CancellationToken cancellationToken);
}

/// <summary>Where a BMC answers and how to sign in. Credentials are decrypted only to build this.</summary>
public sealed record BmcEndpoint(Uri Address, string Username, string Password)
{
    public override string ToString() => Address.ToString();
}

/// <summary>What a BMC reports about its system.</summary>
public sealed record BmcSystem(
    string SerialNumber, string Model, PowerState Power, BootTarget BootOverride, BootOverrideMode BootOverrideMode,
    int CpuCount, int MemoryGiB, IReadOnlyList<BmcGpu> Gpus);

public sealed record BmcGpu(string Id, string Model, string SerialNumber);

public enum PowerState
{
    Off,
    On,
}

/// <summary>The Redfish ResetType values Dflare uses.</summary>
public enum ResetKind
{
    On,
    ForceOff,
    GracefulShutdown,
    ForceRestart,
}

/// <summary>The Redfish BootSourceOverrideTarget values Dflare uses.</summary>
public enum BootTarget
{
    None,
    Pxe,
    Hdd,
}

/// <summary>Redfish BootSourceOverrideEnabled.</summary>
public enum BootOverrideMode
{
    Disabled,
    Once,
    Continuous,
}

/// <summary>A BMC call that failed, and why.</summary>
public sealed class BmcException(BmcFailure failure, string message, Exception? innerException = null)
    : DflareException(message, isTransient: failure is BmcFailure.Unreachable or BmcFailure.Busy, innerException)
{
    public BmcFailure Failure { get; } = failure;
}

public enum BmcFailure
{
    /// <summary>No answer in time, or the connection failed: retry.</summary>
    Unreachable,

    /// <summary>The BMC answered 503 or 429: retry later.</summary>
    Busy,

    /// <summary>The credentials were refused: fix them; retrying will not help.</summary>
    Unauthorized,

    /// <summary>The BMC refused the request as invalid (a value it does not allow).</summary>
    Rejected,

    /// <summary>The BMC did not behave as Redfish says (missing resource, unreadable answer).</summary>
    Protocol,
}
