using Dflare.Persistence.Store;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Dflare.Server.Hosting;

/// <summary>Ready means the store answers and its schema is current; a replica behind on migrations must not serve.</summary>
internal sealed class StoreReadinessCheck(StoreMigrator migrator) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = await migrator.GetStatusAsync(cancellationToken);
        if (!status.Reachable)
        {
            return HealthCheckResult.Unhealthy($"The store is not reachable: {status.Error}");
        }
        return status.Pending.Count == 0
            ? HealthCheckResult.Healthy("The store is reachable and its schema is current.")
            : HealthCheckResult.Unhealthy($"{status.Pending.Count} schema migration(s) pending: {string.Join(", ", status.Pending)}. Run `dflare-server migrate`.");
    }
}
