using Dflare.Core.Clusters;
using Dflare.Core.Identity;
using Dflare.Core.Network;
using Dflare.Core.Workflows;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Dflare.Server.Hosting;

public static class ClusterServices
{
    /// <summary>The cluster runtimes and the cluster lifecycle workflows.</summary>
    public static IServiceCollection AddDflareClusters(this IServiceCollection services)
    {
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<ClusterOptions>>().Value.ToSettings());
        services.TryAddSingleton<SimulatedClusterRuntime>();
        services.TryAddSingleton(sp => new LabSlurmRuntime(
            sp.GetRequiredService<ClusterSettings>().LabDirectory ?? Path.Combine(Path.GetTempPath(), "dflare-slurm"), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new ClusterRuntimes(sp.GetRequiredService<SimulatedClusterRuntime>(), sp.GetRequiredService<LabSlurmRuntime>));
        services.AddSingleton(sp => new ClusterLifecycle(
            sp.GetRequiredService<ClusterRuntimes>(), sp.GetRequiredService<NetworkSync>(), sp.GetRequiredService<WorkflowClient>,
            sp.GetRequiredService<IssuerAddress>(), sp.GetRequiredService<ClusterSettings>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => sp.GetRequiredService<ClusterLifecycle>().Converge());
        services.AddSingleton(sp => sp.GetRequiredService<ClusterLifecycle>().Delete());
        return services;
    }
}
