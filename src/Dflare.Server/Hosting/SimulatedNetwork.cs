using Dflare.Core.Network;
using Dflare.Core.Resources;
using Dflare.Core.Tenancy;
using Dflare.Persistence.Store;
using Dflare.Simulation;
using Microsoft.EntityFrameworkCore;

namespace Dflare.Server.Hosting;

/// <summary>Registers the simulated datacenter's fabrics, pools and parallel filesystem the way the API would (same
/// validation), leaving any that exist as they are, so tenants can make VPCs, volumes and clusters on the embedded
/// default at once.</summary>
internal static class SimulatedNetwork
{
    /// <summary>Answers what was refused (empty when all is registered).</summary>
    public static async Task<IReadOnlyList<FieldError>> EnsureAsync(DflareDbContext db, SimulatedDatacenter datacenter, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var (fabrics, pools) = SimulatedFabrics.Of(datacenter);
        var fabricKind = new FabricKind();
        foreach (var fabric in fabrics.Where(f => !db.Fabrics.Any(r => r.Name == f.Metadata!.Name)))
        {
            var validation = new Validation();
            fabricKind.Validate(validation, fabric, PlatformScope.Instance, creating: true);
            if (!validation.IsValid)
            {
                return validation.Errors;
            }
            var row = fabricKind.NewRow(fabric, PlatformScope.Instance, now);
            row.ResourceVersion = 1;
            row.UpdatedAt = now;
            db.Fabrics.Add(row);
        }
        await db.SaveChangesAsync(cancellationToken);
        var poolKind = new NetworkPoolKind();
        foreach (var pool in pools.Where(p => !db.NetworkPools.Any(r => r.Name == p.Metadata!.Name)))
        {
            var validation = new Validation();
            poolKind.Validate(validation, pool, PlatformScope.Instance, creating: true);
            if (validation.IsValid)
            {
                await poolKind.CheckAsync(validation, db, pool, PlatformScope.Instance, null, cancellationToken);
            }
            if (!validation.IsValid)
            {
                return validation.Errors;
            }
            var row = poolKind.NewRow(pool, PlatformScope.Instance, now);
            row.ResourceVersion = 1;
            row.UpdatedAt = now;
            await poolKind.WritingAsync(db, row, pool, PlatformScope.Instance, creating: true, cancellationToken);
            db.NetworkPools.Add(row);
            await db.SaveChangesAsync(cancellationToken);
        }
        return await EnsureStorageAsync(db, now, cancellationToken);
    }

    public const string StorageBackend = "sim-lustre";

    private static async Task<IReadOnlyList<FieldError>> EnsureStorageAsync(DflareDbContext db, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (await db.StorageBackends.AnyAsync(b => b.Name == StorageBackend, cancellationToken))
        {
            return [];
        }
        const long TiB = 1L << 40;
        var backend = new Dflare.Core.Volumes.StorageBackend
        {
            ApiVersion = ApiVersions.V1, Kind = Dflare.Core.Volumes.StorageBackend.KindName, Metadata = new ObjectMeta { Name = StorageBackend },
            Spec = new Dflare.Core.Volumes.StorageBackendSpec
            {
                Tier = "HighPerformance", Driver = "Simulated", Path = "/lustre/sim", CapacityBytes = 10 * 1024 * TiB, DefaultVolumeBytes = TiB, MaxBytesPerTenant = 1024 * TiB,
            },
        };
        var kind = new Dflare.Core.Volumes.StorageBackendKind();
        var validation = new Validation();
        kind.Validate(validation, backend, PlatformScope.Instance, creating: true);
        if (!validation.IsValid)
        {
            return validation.Errors;
        }
        var row = kind.NewRow(backend, PlatformScope.Instance, now);
        row.ResourceVersion = 1;
        row.UpdatedAt = now;
        db.StorageBackends.Add(row);
        await db.SaveChangesAsync(cancellationToken);
        return [];
    }
}
