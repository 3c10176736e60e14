using Microsoft.Extensions.Hosting;

namespace Dflare.Server.Hosting;

/// <summary>A background loop that runs <see cref="TickAsync"/> every <see cref="Interval"/> on the host's clock
/// (a fake one in tests) until the host stops. A tick must contain its own failures: one that throws stops the loop.</summary>
internal abstract class PeriodicService(TimeProvider time) : BackgroundService
{
    /// <summary>The host's clock, for what a tick records.</summary>
    protected TimeProvider Time { get; } = time;

    protected abstract TimeSpan Interval { get; }

    protected abstract Task TickAsync(CancellationToken cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, Time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await TickAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }
}
