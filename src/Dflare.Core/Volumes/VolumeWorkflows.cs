using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dflare.Core.Workflows;
using Dflare.Persistence.Volumes;
using Microsoft.EntityFrameworkCore;

namespace Dflare.Core.Volumes;

/// <summary>
/// <c>provision-volume</c>: ensure the volume on its backend (directory, ownership, ACL, quota), then read its usage.
/// A failed first provisioning removes what it made and leaves the volume Failed with the reason; a failed change
/// leaves the data alone. <c>delete-volume</c>: keep the data for the retention grace period, then remove it.
/// </summary>
public static class VolumeWorkflows
{
    public const string Provision = "provision-volume";
    public const string Delete = "delete-volume";

    public static WorkflowDefinition CreateProvision(VolumeDrivers drivers, TimeProvider time) => new()
    {
        Name = Provision,
        Steps =
        [
            new StepDefinition
            {
                // Nothing to do going forward; going back (ensure failed for good, or ran out of attempts) it marks the
                // volume Failed and, for a volume that never was Ready, removes what the backend may hold of it.
                Name = "admit",
                Execute = (_, _) => Task.FromResult(StepResult.Done()),
                Compensate = async (context, ct) =>
                {
                    var (volume, backend, tenant) = await LoadAsync(context, ct);
                    if (volume is null)
                    {
                        return;
                    }
                    var neverReady = context.Input?["creating"]?.GetValue<bool>() == true && volume.Location is null;
                    if (neverReady)
                    {
                        await drivers.For(backend!).DeleteAsync(VolumeKind.SpecOf(volume, tenant!), ct);
                    }
                    await context.WriteAsync(async (db, token) =>
                        await db.Volumes.Where(v => v.Id == volume.Id).ExecuteUpdateAsync(s => s.SetProperty(v => v.Phase, VolumePhases.Failed)
                            .SetProperty(v => v.Reason, neverReady ? "provisioning failed; nothing was left on the backend (see the operation)" : "the change could not be applied; the data is untouched (see the operation)"), token), ct);
                },
            },
            new StepDefinition
            {
                Name = "ensure",
                Execute = async (context, ct) =>
                {
                    var (volume, backend, tenant) = await LoadAsync(context, ct);
                    if (volume is null)
                    {
                        return StepResult.Done(new JsonObject { ["skipped"] = "the volume was deleted" });
                    }
                    var location = await RunAsync(() => drivers.For(backend!).EnsureAsync(VolumeKind.SpecOf(volume, tenant!), ct));
                    return location.Error ?? StepResult.Done(new JsonObject { ["location"] = location.Value });
                },
            },
            new StepDefinition
            {
                // Ready once the backend holds it; the first usage reading is best effort (the scanner repeats it), so a
                // slow or failing scan never undoes a volume a tenant may already be using.
                Name = "ready",
                Timeout = TimeSpan.FromMinutes(10),
                Execute = async (context, ct) =>
                {
                    var (volume, backend, tenant) = await LoadAsync(context, ct);
                    var location = context.Outputs.TryGetValue("ensure", out var ensured) ? (string?)ensured?["location"] : null;
                    if (volume is null || location is null)
                    {
                        return StepResult.Done();
                    }
                    var usage = await RunAsync(() => drivers.For(backend!).EnforceAsync(VolumeKind.SpecOf(volume, tenant!), ct));
                    await context.WriteAsync(async (db, token) =>
                    {
                        await db.Volumes.Where(v => v.Id == volume.Id).ExecuteUpdateAsync(s => s
                            .SetProperty(v => v.Phase, VolumePhases.Ready).SetProperty(v => v.Location, location)
                            .SetProperty(v => v.Reason, usage.Error is null ? null : "usage not read yet; the next scan reads it"), token);
                        // What storage is billed by from now on (the run's id keeps a retried step from emitting twice).
                        await Metering.UsageEmitter.VolumeAsync(db,
                            context.Input?["creating"]?.GetValue<bool>() == true ? Metering.UsageEventTypes.VolumeProvisioned : Metering.UsageEventTypes.VolumeResized,
                            $"{context.RunId:N}", volume.Id, tenant!, volume.Project, backend!.Tier, volume.SizeBytes, time.GetUtcNow(), token);
                        if (usage.Value is { } read)
                        {
                            await RecordAsync(db, volume.Id, read, time, token);
                        }
                    }, ct);
                    return StepResult.Done(new JsonObject { ["usedBytes"] = usage.Value?.Bytes, ["writesStopped"] = usage.Value?.WritesStopped });
                },
            },
        ],
    };

    public static WorkflowDefinition CreateDelete(VolumeDrivers drivers, TimeProvider time) => new()
    {
        Name = Delete,
        Steps =
        [
            new StepDefinition
            {
                Name = "retain",
                WaitDeadline = TimeSpan.FromDays(3650),
                Execute = (context, _) =>
                {
                    var purgeAt = DateTimeOffset.Parse(context.Input!["purgeAt"]!.GetValue<string>(), CultureInfo.InvariantCulture);
                    var left = purgeAt - time.GetUtcNow();
                    return Task.FromResult(left <= TimeSpan.Zero
                        ? StepResult.Done()
                        : StepResult.WaitFor($"kept until {purgeAt:O} (the retention grace period)", left < TimeSpan.FromMinutes(1) ? left : TimeSpan.FromMinutes(1)));
                },
            },
            new StepDefinition
            {
                Name = "purge",
                Execute = async (context, ct) =>
                {
                    var spec = context.Input!["spec"].Deserialize<VolumeSpec>(VolumeKind.JsonOptions)!;
                    // The backend as it was at the delete, so a backend changed or removed since cannot strand the data.
                    var backend = new StorageBackendRow
                    {
                        Name = context.Input!["backend"]!.GetValue<string>(), Driver = context.Input!["driver"]!.GetValue<string>(),
                        Path = context.Input!["path"]!.GetValue<string>(), Tier = "",
                    };
                    var deleted = await RunAsync(async () =>
                    {
                        await drivers.For(backend).DeleteAsync(spec, ct);
                        return true;
                    });
                    return deleted.Error ?? StepResult.Done(new JsonObject { ["purged"] = spec.Key });
                },
            },
        ],
    };

    /// <summary>Writes what a scan of the backend found.</summary>
    public static Task RecordAsync(Dflare.Persistence.Store.DflareDbContext db, Guid volume, VolumeUsage usage, TimeProvider time, CancellationToken cancellationToken) =>
        db.Volumes.Where(v => v.Id == volume).ExecuteUpdateAsync(s => s
            .SetProperty(v => v.UsedBytes, usage.Bytes).SetProperty(v => v.UsedInodes, usage.Inodes)
            .SetProperty(v => v.WritesStopped, usage.WritesStopped).SetProperty(v => v.UsageAt, time.GetUtcNow()), cancellationToken);

    private static async Task<(VolumeRow? Volume, StorageBackendRow? Backend, string? Tenant)> LoadAsync(StepContext context, CancellationToken cancellationToken)
    {
        var id = Guid.Parse(context.Input!["volume"]!.GetValue<string>());
        VolumeRow? volume = null;
        StorageBackendRow? backend = null;
        string? tenant = null;
        await context.WriteAsync(async (db, token) =>
        {
            volume = await db.Volumes.AsNoTracking().FirstOrDefaultAsync(v => v.Id == id, token);
            if (volume is not null)
            {
                backend = await db.StorageBackends.AsNoTracking().FirstAsync(b => b.Name == volume.Backend, token);
                tenant = await db.Tenants.Where(t => t.Id == volume.TenantId).Select(t => t.Name).FirstAsync(token);
                if (volume.SizeBytes == 0)
                {
                    // The backend's defaults, fixed at first provisioning.
                    volume.SizeBytes = backend.DefaultVolumeBytes;
                    volume.Inodes = volume.Inodes == 0 ? Math.Max(1024, backend.DefaultVolumeBytes / 65536) : volume.Inodes;
                    await db.Volumes.Where(v => v.Id == id).ExecuteUpdateAsync(s => s.SetProperty(v => v.SizeBytes, volume.SizeBytes).SetProperty(v => v.Inodes, volume.Inodes), token);
                }
                else if (volume.Inodes == 0)
                {
                    volume.Inodes = Math.Max(1024, volume.SizeBytes / 65536);
                    await db.Volumes.Where(v => v.Id == id).ExecuteUpdateAsync(s => s.SetProperty(v => v.Inodes, volume.Inodes), token);
                }
            }
        }, cancellationToken);
        return (volume, backend, tenant);
    }

    private static async Task<(T? Value, StepResult? Error)> RunAsync<T>(Func<Task<T>> operation)
    {
        try
        {
            return (await operation(), null);
        }
        catch (VolumeDriverException ex)
        {
            return (default, ex.Transient ? StepResult.Transient(ex.Message) : StepResult.Permanent(ex.Message));
        }
    }
}
