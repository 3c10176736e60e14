using System.Data.Common;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dflare.Core.Workflows;

/// <summary>Runs <see cref="WorkflowOptions.Workers"/> loops that each claim and drive one run at a time.</summary>
internal sealed partial class WorkflowWorker(WorkflowEngine engine, WorkflowSignal signal, IOptions<WorkflowOptions> options, ILogger<WorkflowWorker> logger)
    : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, options.Value.Workers).Select(_ => LoopAsync(stoppingToken)));

    private async Task LoopAsync(CancellationToken stoppingToken)
    {
        var poll = TimeSpan.FromMilliseconds(options.Value.PollMilliseconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!await engine.ProcessNextAsync(stoppingToken))
                {
                    await signal.WaitAsync(poll, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is DbException or TimeoutException or InvalidOperationException)
            {
                // The store is unreachable or busy: back off one poll and try again; runs stay where they were.
                LogLoopFailed(logger, ex);
                try
                {
                    await Task.Delay(poll, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    [LoggerMessage(EventId = 4010, Level = LogLevel.Warning, Message = "A workflow worker failed to reach the store; retrying")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception);
}
