using Dflare.Core.Provisioning;
using Dflare.Core.Provisioning.Bmc;
using Dflare.Core.Secrets;
using Dflare.Core.Workflows;
using Dflare.Drivers.Redfish;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Dflare.Server.Hosting;

public static class ProvisioningServices
{
    /// <summary>BMC drivers (Redfish for http and https addresses; hosts add others, such as the simulator's
    /// <c>sim</c>) and the provisioning workflows.</summary>
    public static IServiceCollection AddDflareProvisioning(this IServiceCollection services)
    {
        services.TryAddSingleton(_ => new RedfishBmcDriver(new HttpClient(), TimeSpan.FromSeconds(10)));
        services.AddSingleton(sp => new BmcDriverRegistration("https", sp.GetRequiredService<RedfishBmcDriver>()));
        services.AddSingleton(sp => new BmcDriverRegistration("http", sp.GetRequiredService<RedfishBmcDriver>()));
        services.TryAddSingleton<BmcDrivers>();
        services.AddSingleton(sp => InspectNodeWorkflow.Create(sp.GetRequiredService<BmcDrivers>(), sp.GetRequiredService<SecretProtector>));
        return services;
    }
}
