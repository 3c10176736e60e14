using Dflare.Core.Provisioning;
using Dflare.Core.Provisioning.Agents;
using Dflare.Core.Provisioning.Bmc;
using Dflare.Core.Secrets;
using Dflare.Core.Workflows;
using Dflare.Drivers.Redfish;
using Dflare.Server.Access;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Dflare.Server.Hosting;

public static class ProvisioningServices
{
    /// <summary>BMC drivers (Redfish for http and https addresses; the simulated datacenter adds <c>sim</c>), the agent
    /// CA and protocol, the provisioning workflows, and the loops that watch heartbeats and onboard new nodes.</summary>
    public static IServiceCollection AddDflareProvisioning(this IServiceCollection services)
    {
        services.TryAddSingleton(_ => new RedfishBmcDriver(new HttpClient(), TimeSpan.FromSeconds(10)));
        services.AddSingleton(sp => new BmcDriverRegistration("https", sp.GetRequiredService<RedfishBmcDriver>()));
        services.AddSingleton(sp => new BmcDriverRegistration("http", sp.GetRequiredService<RedfishBmcDriver>()));
        services.TryAddSingleton<BmcDrivers>();
        services.AddSingleton(sp => new AgentCertificateAuthority(
            sp.GetRequiredService<Microsoft.Extensions.DependencyInjection.IServiceScopeFactory>(), sp.GetRequiredService<SecretProtector>, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => InspectNodeWorkflow.Create(sp.GetRequiredService<BmcDrivers>(), sp.GetRequiredService<SecretProtector>,
            sp.GetRequiredService<IOptions<ProvisioningOptions>>().Value.BmcRetry, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => DiscoverBmcsWorkflow.Create(sp.GetRequiredService<BmcDrivers>(), sp.GetRequiredService<SecretProtector>, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<ProvisioningOptions>>().Value;
            var listener = sp.GetRequiredService<AgentListener>();
            return ProvisionNodeWorkflow.Create(sp.GetRequiredService<BmcDrivers>(), sp.GetRequiredService<SecretProtector>, sp.GetRequiredService<AgentCertificateAuthority>(),
                new ProvisioningSettings
                {
                    DefaultImage = options.DefaultImage,
                    BootstrapTokenLifetime = options.BootstrapTokenLifetime,
                    BootTimeout = options.BootTimeout,
                    RegistrationTimeout = options.RegistrationTimeout,
                    PollInterval = options.PollInterval,
                    BmcRetry = options.BmcRetry,
                    AgentEndpoint = () => listener.Address,
                    PhoneHome = node => new Uri(BootServer(sp, options), $"provisioning/v1/nodes/{node}/phone-home"),
                },
                sp.GetRequiredService<TimeProvider>());
        });
        services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, AgentCertificateAuthentication>(AgentCertificateAuthentication.SchemeName, null);
        services.AddHostedService<HeartbeatMonitor>();
        services.AddHostedService<NodeOnboarding>();
        return services;
    }

    /// <summary>Where booting nodes reach the control plane, ending in '/'.</summary>
    public static Uri BootServer(IServiceProvider services, ProvisioningOptions options)
    {
        var address = options.BootServerUrl ?? FirstListenerAddress(services);
        return new Uri(address.TrimEnd('/') + "/");
    }

    /// <summary>The API listener's first bound address (known once the server has started), e.g. http://127.0.0.1:5080.</summary>
    public static string FirstListenerAddress(IServiceProvider services) =>
        services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.GetRequiredFeature<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>().Addresses.First();
}
