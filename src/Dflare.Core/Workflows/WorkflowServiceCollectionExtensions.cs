using Dflare.Persistence.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dflare.Core.Workflows;

public static class WorkflowServiceCollectionExtensions
{
    /// <summary>The engine, its client and its workers. Idempotent. Register definitions with <see cref="AddWorkflow"/>.</summary>
    public static IServiceCollection AddDflareWorkflows(this IServiceCollection services)
    {
        services.AddOptions<WorkflowOptions>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<WorkflowSignal>();
        services.TryAddSingleton(sp => new WorkflowRegistry(sp.GetServices<WorkflowDefinition>()));
        services.TryAddSingleton<WorkflowClient>();
        services.TryAddSingleton(sp =>
        {
            var store = sp.GetRequiredService<IOptions<StoreOptions>>().Value;
            return new WorkflowEngine(() => StoreContexts.Create(store), sp.GetRequiredService<WorkflowRegistry>(),
                sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IOptions<WorkflowOptions>>().Value,
                sp.GetRequiredService<ILogger<WorkflowEngine>>());
        });
        if (!services.Any(d => d.ImplementationType == typeof(WorkflowWorker)))
        {
            services.AddHostedService<WorkflowWorker>();
        }
        return services;
    }

    public static IServiceCollection AddWorkflow(this IServiceCollection services, WorkflowDefinition definition) =>
        services.AddSingleton(definition);
}
