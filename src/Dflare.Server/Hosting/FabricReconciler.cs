using Dflare.Core.Network;
using Dflare.Persistence.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dflare.Server.Hosting;

/// <summary>Every <see cref="NetworkOptions.ReconcileInterval"/>, compares each fabric with what the store wants and
/// repairs what differs (a VLAN removed by hand, an ACL edited on a switch), logging each repair.</summary>
internal sealed partial class FabricReconciler(
    IServiceScopeFactory scopes, NetworkSync sync, IOptions<NetworkOptions> options, TimeProvider time, ILogger<FabricReconciler> logger) : PeriodicService(time)
{
    protected override TimeSpan Interval => options.Value.ReconcileInterval;

    protected override async Task TickAsync(CancellationToken cancellationToken) => await ReconcileAllAsync(cancellationToken);

    private async Task ReconcileAllAsync(CancellationToken cancellationToken)
    {
        List<string> fabrics;
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            fabrics = await scope.ServiceProvider.GetRequiredService<DflareDbContext>().Fabrics.AsNoTracking().Select(f => f.Name).ToListAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogFailed(logger, ex, "(all)");
            return;
        }
        foreach (var fabric in fabrics)
        {
            try
            {
                await sync.SyncAsync(fabric, reconciling: true, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // One fabric's trouble never stops the others, or the host.
                LogFailed(logger, ex, fabric);
            }
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "Reconciling fabric {Fabric} failed; the next round tries again")]
    private static partial void LogFailed(ILogger logger, Exception exception, string fabric);
}
