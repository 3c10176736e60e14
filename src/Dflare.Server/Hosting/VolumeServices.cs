using Dflare.Core.Volumes;
using Dflare.Core.Workflows;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Dflare.Server.Hosting;

public static class VolumeServices
{
    /// <summary>The drivers of the storage backends, the volume workflows and the usage scanner.</summary>
    public static IServiceCollection AddDflareVolumes(this IServiceCollection services)
    {
        services.TryAddSingleton<VolumeDrivers>();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<VolumeOptions>>().Value.ToSettings());
        services.AddSingleton(sp => VolumeWorkflows.CreateProvision(sp.GetRequiredService<VolumeDrivers>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => VolumeWorkflows.CreateDelete(sp.GetRequiredService<VolumeDrivers>(), sp.GetRequiredService<TimeProvider>()));
        services.AddHostedService<VolumeUsageScanner>();
        return services;
    }
}
