using Dflare.Core.Identity;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dflare.Server.Access;

/// <summary>Signs an audit checkpoint every <see cref="IdentityOptions.AuditCheckpointMinutes"/>, so a quiet log's
/// last entries are pinned too, not only every thousandth.</summary>
internal sealed partial class AuditCheckpointer(AuditLog audit, IOptions<IdentityOptions> options, TimeProvider time, ILogger<AuditCheckpointer> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(options.Value.AuditCheckpointMinutes), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await audit.CheckpointAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "Signing the periodic audit checkpoint failed; the next tick tries again")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
