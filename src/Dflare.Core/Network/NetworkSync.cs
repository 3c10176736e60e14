using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Dflare.Core.Workflows;
using Dflare.Persistence.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Dflare.Core.Network;

/// <summary>
/// Brings a fabric to what the store wants: builds its intent, asks the driver what differs, applies, then marks the
/// VPCs and subnets that were waiting Ready. One sync per fabric at a time in this process, so an older intent is never
/// applied over a newer one. Used by the <c>sync-fabric</c> workflow (after every network write), by attach and detach,
/// and by the reconciler.
/// </summary>
public sealed partial class NetworkSync(Func<DflareDbContext> openStore, FabricDrivers drivers, TimeProvider time, ILogger<NetworkSync> logger)
{
    public const string Workflow = "sync-fabric";
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new(StringComparer.Ordinal);

    /// <summary>Adds a <c>sync-fabric</c> run to the caller's save.</summary>
    public static void Stage(WorkflowClient workflows, DflareDbContext db, string fabric, string reason)
    {
        workflows.Stage(db, Workflow, $"fabric/{fabric}", new JsonObject { ["fabric"] = fabric, ["reason"] = reason });
        workflows.Wake();
    }

    /// <summary>Syncs the fabric. <paramref name="reconciling"/> first reads what differs and logs each difference as
    /// a repair (a write's own sync only applies: what it adds is not drift). Answers the differences; null when the
    /// fabric no longer exists.</summary>
    public async Task<IReadOnlyList<FabricDrift>?> SyncAsync(string fabricName, bool reconciling, CancellationToken cancellationToken)
    {
        var gate = _gates.GetOrAdd(fabricName, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            await using var db = openStore();
            var fabric = await db.Fabrics.AsNoTracking().FirstOrDefaultAsync(f => f.Name == fabricName, cancellationToken);
            if (fabric is null)
            {
                return null;
            }
            // Read before the intent is built, so everything marked Ready below is in what was applied.
            var pendingVpcs = await db.Vpcs.Where(v => v.FabricId == fabric.Id && v.Phase == NetworkPhases.Pending).Select(v => v.Id).ToListAsync(cancellationToken);
            var pendingSubnets = await db.Subnets.Where(s => db.Vpcs.Any(v => v.Id == s.VpcId && v.FabricId == fabric.Id) && s.Phase == NetworkPhases.Pending)
                .Select(s => s.Id).ToListAsync(cancellationToken);
            var intent = await NetworkIntents.BuildAsync(db, fabric, cancellationToken);
            var driver = drivers.For(fabric);
            IReadOnlyList<FabricDrift> drift;
            try
            {
                drift = reconciling ? await driver.DiffAsync(intent, cancellationToken) : [];
                await driver.ApplyAsync(intent, cancellationToken);
            }
            catch (FabricDriverException ex)
            {
                await db.Fabrics.Where(f => f.Id == fabric.Id).ExecuteUpdateAsync(s => s.SetProperty(f => f.SyncError, ex.Message.Length > 2000 ? ex.Message[..2000] : ex.Message), cancellationToken);
                throw;
            }
            foreach (var item in drift)
            {
                Repaired(logger, fabricName, item.Element, item.Name, item.Problem);
            }
            var now = time.GetUtcNow();
            await db.Fabrics.Where(f => f.Id == fabric.Id).ExecuteUpdateAsync(s => s.SetProperty(f => f.SyncedAt, now).SetProperty(f => f.SyncError, (string?)null), cancellationToken);
            await db.Vpcs.Where(v => pendingVpcs.Contains(v.Id) && v.Phase == NetworkPhases.Pending).ExecuteUpdateAsync(s => s.SetProperty(v => v.Phase, NetworkPhases.Ready), cancellationToken);
            await db.Subnets.Where(v => pendingSubnets.Contains(v.Id) && v.Phase == NetworkPhases.Pending).ExecuteUpdateAsync(s => s.SetProperty(v => v.Phase, NetworkPhases.Ready), cancellationToken);
            return drift;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>What differs now, without repairing it. Null when the fabric does not exist.</summary>
    public async Task<IReadOnlyList<FabricDrift>?> DiffAsync(string fabricName, CancellationToken cancellationToken)
    {
        await using var db = openStore();
        var fabric = await db.Fabrics.AsNoTracking().FirstOrDefaultAsync(f => f.Name == fabricName, cancellationToken);
        return fabric is null ? null : await drivers.For(fabric).DiffAsync(await NetworkIntents.BuildAsync(db, fabric, cancellationToken), cancellationToken);
    }

    public static WorkflowDefinition CreateWorkflow(NetworkSync sync) => new()
    {
        Name = Workflow,
        Steps =
        [
            new StepDefinition
            {
                Name = "apply",
                Execute = async (context, ct) =>
                {
                    var fabric = context.Input!["fabric"]!.GetValue<string>();
                    try
                    {
                        var drift = await sync.SyncAsync(fabric, reconciling: false, ct);
                        return StepResult.Done(new JsonObject { ["fabric"] = fabric, ["skipped"] = drift is null ? "the fabric was deleted" : null });
                    }
                    catch (FabricDriverException ex)
                    {
                        return ex.IsTransient ? StepResult.Transient(ex.Message) : StepResult.Permanent(ex.Message);
                    }
                },
            },
        ],
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Fabric {Fabric}: repaired {Element} {Name} ({Problem})")]
    private static partial void Repaired(ILogger logger, string fabric, string element, string name, string problem);
}
