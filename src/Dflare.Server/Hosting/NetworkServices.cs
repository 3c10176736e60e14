using Dflare.Core.Network;
using Dflare.Persistence.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dflare.Server.Hosting;

public static class NetworkServices
{
    /// <summary>The fabric drivers, the sync that converges fabrics, the network workflows and the reconciler.</summary>
    public static IServiceCollection AddDflareNetwork(this IServiceCollection services)
    {
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<NetworkOptions>>().Value.ToSettings());
        services.TryAddSingleton(sp => new FabricDrivers(sp.GetRequiredService<NetworkSettings>()));
        services.AddSingleton(sp =>
        {
            var store = sp.GetRequiredService<IOptions<StoreOptions>>().Value;
            return new NetworkSync(() => StoreContexts.Create(store), sp.GetRequiredService<FabricDrivers>(), sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<NetworkSync>>());
        });
        services.AddSingleton(sp => NetworkSync.CreateWorkflow(sp.GetRequiredService<NetworkSync>()));
        services.AddSingleton(sp => NetworkAttachments.CreateAttach(sp.GetRequiredService<NetworkSync>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => NetworkAttachments.CreateDetach(sp.GetRequiredService<NetworkSync>()));
        services.AddHostedService<FabricReconciler>();
        return services;
    }
}
