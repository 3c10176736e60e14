namespace Dflare.Core.Provisioning.Bmc;

/// <summary>A BMC driver and the address scheme it serves (<c>https</c>, <c>http</c>, <c>sim</c>).</summary>
public sealed record BmcDriverRegistration(string Scheme, IBmcDriver Driver);

/// <summary>Picks the driver for a BMC by its address: Redfish for http(s), the simulator for <c>sim://</c>.</summary>
public sealed class BmcDrivers(IEnumerable<BmcDriverRegistration> registrations)
{
    private readonly Dictionary<string, IBmcDriver> _byScheme = registrations.ToDictionary(r => r.Scheme, r => r.Driver, StringComparer.OrdinalIgnoreCase);

    public IBmcDriver For(Uri address) => _byScheme.TryGetValue(address.Scheme, out var driver)
        ? driver
        : throw new BmcException(BmcFailure.Protocol, $"{address}: no BMC driver serves '{address.Scheme}' addresses.");
}
