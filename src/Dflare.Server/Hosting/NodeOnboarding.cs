using System.Text.Json.Nodes;
using Dflare.Core.Inventory;
using Dflare.Core.Provisioning;
using Dflare.Core.Workflows;
using Dflare.Persistence.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dflare.Server.Hosting;

/// <summary>
/// With <c>Provisioning:Automatic</c>, nodes onboard themselves: an enrolled node is inspected, an available one is
/// provisioned, by the same workflows an operator starts. A node that fails stays Failed for an operator: the loop
/// never retries it, so a broken node cannot flap.
/// </summary>
internal sealed partial class NodeOnboarding(
    IServiceScopeFactory scopes, IOptions<ProvisioningOptions> options, TimeProvider time, ILogger<NodeOnboarding> logger) : BackgroundService
{
    private const int BatchSize = 500;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Automatic)
        {
            return;
        }
        // Onboarding looks more often than waiting steps poll (they are woken by events; new nodes are not).
        using var timer = new PeriodicTimer(TimeSpan.FromTicks(Math.Min(options.Value.PollInterval.Ticks, TimeSpan.FromSeconds(2).Ticks)), time);
        try
        {
            do
            {
                await OnboardAsync(stoppingToken);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown.
        }
    }

    internal async Task<int> OnboardAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<DflareDbContext>();
            var workflows = scope.ServiceProvider.GetRequiredService<WorkflowClient>();
            var hasDefaultImage = options.Value.DefaultImage is not null;
            var nodes = await db.Nodes.AsNoTracking()
                .Where(n => n.State == nameof(NodeState.Enrolled) || (n.State == nameof(NodeState.Available) && (n.Image != null || hasDefaultImage)))
                .OrderBy(n => n.Name).Select(n => new { n.Name, n.State }).Take(BatchSize).ToListAsync(cancellationToken);
            // Nodes with a run under way are skipped up front: asking the engine would cost a refused insert each.
            var busy = (await db.WorkflowRuns.Where(r => r.ActiveKey != null && r.Target != null && r.Target.StartsWith("node/"))
                .Select(r => r.Target!).ToListAsync(cancellationToken)).ToHashSet(StringComparer.Ordinal);
            var started = 0;
            foreach (var node in nodes.Where(n => !busy.Contains($"node/{n.Name}")))
            {
                var workflow = node.State == nameof(NodeState.Enrolled) ? InspectNodeWorkflow.Name : ProvisionNodeWorkflow.Name;
                // One active run per node and workflow: a node already on its way is skipped by the engine.
                if (await workflows.StartAsync(db, workflow, $"node/{node.Name}", new JsonObject { ["node"] = node.Name }, cancellationToken) is not null)
                {
                    started++;
                }
                // Each start saves its own run; tracking them all would make every later save re-scan the earlier ones.
                db.ChangeTracker.Clear();
            }
            return started;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A background loop must never stop the host: the store may be unreachable or not migrated yet.
            LogFailed(logger, ex);
            return 0;
        }
    }

    [LoggerMessage(EventId = 5201, Level = LogLevel.Warning, Message = "Could not onboard nodes")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
