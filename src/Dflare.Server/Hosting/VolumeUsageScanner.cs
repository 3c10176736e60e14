using Dflare.Core.Volumes;
using Dflare.Persistence.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dflare.Server.Hosting;

/// <summary>Scans every Ready volume's usage each <see cref="VolumeOptions.ScanInterval"/>: what metering reads, and
/// where a driver that cannot have the filesystem enforce quota stops and resumes writes.</summary>
internal sealed partial class VolumeUsageScanner(
    IServiceScopeFactory scopes, VolumeDrivers drivers, IOptions<VolumeOptions> options, TimeProvider time, ILogger<VolumeUsageScanner> logger) : PeriodicService(time)
{
    protected override TimeSpan Interval => options.Value.ScanInterval;

    protected override async Task TickAsync(CancellationToken cancellationToken) => await ScanAsync(cancellationToken);

    public async Task ScanAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DflareDbContext>();
        var volumes = await (from v in db.Volumes.AsNoTracking()
                             join b in db.StorageBackends.AsNoTracking() on v.Backend equals b.Name
                             join t in db.Tenants.AsNoTracking() on v.TenantId equals t.Id
                             where v.Phase == VolumePhases.Ready
                             select new { Volume = v, Backend = b, Tenant = t.Name }).ToListAsync(cancellationToken);
        foreach (var item in volumes)
        {
            try
            {
                var usage = await drivers.For(item.Backend).EnforceAsync(VolumeKind.SpecOf(item.Volume, item.Tenant), cancellationToken);
                await VolumeWorkflows.RecordAsync(db, item.Volume.Id, usage, Time, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // One volume's trouble (a tree removed under the scan, a busy store) never stops the others, or the host.
                LogScanFailed(logger, ex, item.Tenant, item.Volume.Name);
            }
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "Scanning volume {Tenant}/{Volume} failed; the next scan tries again")]
    private static partial void LogScanFailed(ILogger logger, Exception exception, string tenant, string volume);
}
