using Dflare.Core.Provisioning.Bmc;

namespace Dflare.Simulation.Bmc;

/// <summary>
/// The in-process BMC driver for the simulated datacenter at scale (no HTTP per call): addresses look like
/// <c>sim://bmc/{id}</c>. It honours credentials and injected faults exactly as the Redfish service of the same
/// simulated BMC does, which the shared contract tests check.
/// </summary>
public sealed class SimulatorBmcDriver(SimulatedBmcs bmcs) : IBmcDriver
{
    public static BmcEndpoint EndpointOf(SimulatedBmc bmc, string? password = null) =>
        new(new Uri($"sim://bmc/{bmc.Id}"), bmc.Username, password ?? bmc.Password);

    public Task<BmcSystem> GetSystemAsync(BmcEndpoint bmc, CancellationToken cancellationToken) =>
        Task.FromResult(Open(bmc).Snapshot(out _));

    public Task ResetAsync(BmcEndpoint bmc, ResetKind reset, CancellationToken cancellationToken)
    {
        Open(bmc).Reset(reset);
        return Task.CompletedTask;
    }

    public Task SetBootOverrideAsync(BmcEndpoint bmc, BootTarget target, bool once, CancellationToken cancellationToken)
    {
        Open(bmc).TrySetBootOverride(target, once ? BootOverrideMode.Once : BootOverrideMode.Continuous, ifMatch: null);
        return Task.CompletedTask;
    }

    private SimulatedBmc Open(BmcEndpoint endpoint)
    {
        var id = endpoint.Address.Scheme == "sim" && endpoint.Address.Host == "bmc" ? endpoint.Address.AbsolutePath.Trim('/') : null;
        var bmc = id is null ? null : bmcs.Find(id);
        if (bmc is null)
        {
            throw new BmcException(BmcFailure.Protocol, $"{endpoint}: no simulated BMC answers at this address.");
        }
        return bmc.Fault switch
        {
            BmcFault.Timeout => throw new BmcException(BmcFailure.Unreachable, $"{endpoint}: no answer."),
            BmcFault.Busy => throw new BmcException(BmcFailure.Busy, $"{endpoint}: busy (503)."),
            _ when !bmc.Authenticates(endpoint.Username, endpoint.Password) =>
                throw new BmcException(BmcFailure.Unauthorized, $"{endpoint}: the credentials were refused."),
            _ => bmc,
        };
    }
}
