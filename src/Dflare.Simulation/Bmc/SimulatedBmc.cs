using Dflare.Core.Provisioning.Bmc;

namespace Dflare.Simulation.Bmc;

/// <summary>
/// One simulated baseboard management controller and the system behind it. Behaves as Redfish describes: a boot
/// override set "Once" is consumed by the next boot; every change bumps the system's ETag.
/// </summary>
public sealed class SimulatedBmc(string id, string username, string password, string serialNumber, string model, int cpus, int memoryGiB, IReadOnlyList<BmcGpu> gpus)
{
    private readonly Lock _gate = new();
    private PowerState _power = PowerState.Off;
    private BootTarget _bootTarget = BootTarget.None;
    private BootOverrideMode _bootMode = BootOverrideMode.Disabled;
    private long _version = 1;

    public string Id => id;

    public string Username => username;

    public string Password => password;

    public string SerialNumber => serialNumber;

    public string Model => model;

    public int Cpus => cpus;

    public int MemoryGiB => memoryGiB;

    public IReadOnlyList<BmcGpu> Gpus => gpus;

    /// <summary>An injected fault; <see cref="BmcFault.None"/> behaves.</summary>
    public BmcFault Fault { get; set; }

    /// <summary>Whether the service root offers <c>$expand</c> (most BMCs do; some older ones do not).</summary>
    public bool SupportsExpand { get; set; } = true;

    /// <summary>The boot source of the last power-on or restart, for the simulated boot to follow.</summary>
    public BootTarget LastBootSource { get; private set; } = BootTarget.None;

    /// <summary>Power-ons and restarts so far.</summary>
    public int Boots { get; private set; }

    /// <summary>Raised after a power-on or restart with the source it booted from, outside the BMC's lock.</summary>
    public event Action<BootTarget>? Booted;

    /// <summary>Raised after the system was switched off.</summary>
    public event Action? PoweredOff;

    public PowerState Power
    {
        get
        {
            lock (_gate)
            {
                return _power;
            }
        }
    }

    public bool Authenticates(string user, string secret) => user == username && secret == password;

    public BmcSystem Snapshot(out string etag)
    {
        lock (_gate)
        {
            etag = $"W/\"{_version}\"";
            return new BmcSystem(serialNumber, model, _power, _bootTarget, _bootMode, cpus, memoryGiB, gpus);
        }
    }

    public void Reset(ResetKind reset)
    {
        BootTarget? booted = null;
        var off = false;
        lock (_gate)
        {
            switch (reset)
            {
                case ResetKind.On when _power == PowerState.Off:
                case ResetKind.ForceRestart:
                    _power = PowerState.On;
                    booted = Boot();
                    break;
                case ResetKind.ForceOff or ResetKind.GracefulShutdown:
                    off = _power == PowerState.On;
                    _power = PowerState.Off;
                    break;
            }
            _version++;
        }
        if (booted is { } source)
        {
            Booted?.Invoke(source);
        }
        else if (off)
        {
            PoweredOff?.Invoke();
        }
    }

    /// <summary>Sets the override if <paramref name="ifMatch"/> (when given) names the current version.</summary>
    public bool TrySetBootOverride(BootTarget target, BootOverrideMode mode, string? ifMatch)
    {
        lock (_gate)
        {
            if (ifMatch is not null && ifMatch != "*" && ifMatch != $"W/\"{_version}\"")
            {
                return false;
            }
            _bootTarget = target;
            _bootMode = target == BootTarget.None ? BootOverrideMode.Disabled : mode;
            _version++;
            return true;
        }
    }

    private BootTarget Boot()
    {
        Boots++;
        LastBootSource = _bootMode == BootOverrideMode.Disabled ? BootTarget.Hdd : _bootTarget;
        if (_bootMode == BootOverrideMode.Once)
        {
            _bootMode = BootOverrideMode.Disabled;
            _bootTarget = BootTarget.None;
        }
        return LastBootSource;
    }
}

/// <summary>Faults an operator or a test can inject into a simulated BMC.</summary>
public enum BmcFault
{
    None,

    /// <summary>Accepts the connection and never answers.</summary>
    Timeout,

    /// <summary>Answers 503 Service Unavailable, as a BMC does while it restarts.</summary>
    Busy,
}
