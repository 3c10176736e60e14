using Dflare.Core.Provisioning.Agents;
using Dflare.Persistence.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dflare.Server.Hosting;

/// <summary>Marks a registered node Unreachable once it has missed <c>Agents:MissedHeartbeats</c> heartbeats in a
/// row; its next heartbeat makes it healthy again. One conditional update per tick, whatever the fleet size.</summary>
internal sealed partial class HeartbeatMonitor(IServiceScopeFactory scopes, IOptions<AgentOptions> options, TimeProvider time, ILogger<HeartbeatMonitor> logger) : PeriodicService(time)
{
    protected override TimeSpan Interval => options.Value.HeartbeatInterval;

    protected override async Task TickAsync(CancellationToken cancellationToken) => await SweepAsync(cancellationToken);

    internal async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<DflareDbContext>();
            var silence = options.Value.HeartbeatInterval * options.Value.MissedHeartbeats;
            var cutoff = Time.GetUtcNow() - silence;
            var reason = $"missed {options.Value.MissedHeartbeats} heartbeats (none for {silence})";
            var marked = await db.NodeAgents
                .Where(a => a.RegisteredAt != null && a.RevokedAt == null && a.LastHeartbeatAt < cutoff && a.Health != AgentHealth.Unreachable)
                .ExecuteUpdateAsync(s => s.SetProperty(a => a.Health, AgentHealth.Unreachable).SetProperty(a => a.HealthReason, reason), cancellationToken);
            if (marked > 0)
            {
                LogUnreachable(logger, marked);
            }
            return marked;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A background loop must never stop the host: the store may be unreachable or not migrated yet.
            LogSweepFailed(logger, ex);
            return 0;
        }
    }

    [LoggerMessage(EventId = 5101, Level = LogLevel.Warning, Message = "{Count} node(s) stopped sending heartbeats and are marked Unreachable")]
    private static partial void LogUnreachable(ILogger logger, int count);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Warning, Message = "Could not check heartbeats")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
