using Dflare.Persistence.Network;
using Dflare.Persistence.Store;
using Microsoft.EntityFrameworkCore;

namespace Dflare.Core.Network;

/// <summary>A tenant's InfiniBand partition: one per tenant and IB fabric, its PKey from the fabric's pools.</summary>
public static class Partitions
{
    /// <summary>Makes the tenant's partition on the fabric if it has none (inside the caller's transaction).</summary>
    public static async Task<PartitionRow> EnsureAsync(DflareDbContext db, Guid tenantId, Guid fabricId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await PoolAllocator.LockFabricAsync(db, fabricId, cancellationToken);
        var existing = await db.Partitions.FirstOrDefaultAsync(p => p.TenantId == tenantId && p.FabricId == fabricId, cancellationToken)
            ?? db.ChangeTracker.Entries<PartitionRow>().Select(e => e.Entity).FirstOrDefault(p => p.TenantId == tenantId && p.FabricId == fabricId);
        if (existing is not null)
        {
            return existing;
        }
        var partition = new PartitionRow { Id = Guid.CreateVersion7(now), TenantId = tenantId, FabricId = fabricId, CreatedAt = now };
        partition.PKey = (int)await PoolAllocator.TakeAsync(db, fabricId, PoolKinds.PKey, 0, partition.Id, "", now, cancellationToken);
        db.Partitions.Add(partition);
        return partition;
    }

    public static async Task RemoveAsync(DflareDbContext db, Guid tenantId, Guid fabricId, CancellationToken cancellationToken)
    {
        await PoolAllocator.LockFabricAsync(db, fabricId, cancellationToken);
        var partition = await db.Partitions.FirstOrDefaultAsync(p => p.TenantId == tenantId && p.FabricId == fabricId, cancellationToken);
        if (partition is null)
        {
            return;
        }
        await PoolAllocator.ReleaseAsync(db, partition.Id, cancellationToken);
        await db.PartitionMembers.Where(m => m.PartitionId == partition.Id).ExecuteDeleteAsync(cancellationToken);
        await db.Partitions.Where(p => p.Id == partition.Id).ExecuteDeleteAsync(cancellationToken);
    }
}
