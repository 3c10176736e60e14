using Dflare.Persistence.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Dflare.Server.Api.Idempotency;

/// <summary>Deletes expired idempotency records every hour, so the table holds about one retention window.</summary>
internal sealed partial class IdempotencyRecordSweeper(IServiceScopeFactory scopes, TimeProvider time, ILogger<IdempotencyRecordSweeper> logger)
    : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await SweepAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown.
        }
    }

    internal async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<DflareDbContext>();
            var now = time.GetUtcNow();
            var deleted = await db.IdempotencyRecords.Where(r => r.ExpiresAt <= now).ExecuteDeleteAsync(cancellationToken);
            LogSwept(logger, deleted);
            return deleted;
        }
        catch (System.Data.Common.DbException ex)
        {
            // The store may be briefly unreachable; the next tick tries again.
            LogSweepFailed(logger, ex);
            return 0;
        }
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Debug, Message = "Deleted {Count} expired idempotency records")]
    private static partial void LogSwept(ILogger logger, int count);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Warning, Message = "Could not delete expired idempotency records")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
