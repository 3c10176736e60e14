using Dflare.Core.Resources;
using Dflare.Persistence.Network;
using Dflare.Persistence.Store;
using Microsoft.EntityFrameworkCore;

namespace Dflare.Core.Network;

/// <summary>
/// Takes values from a fabric's pools inside the caller's transaction. The first statement locks the fabric's row (a
/// no-op UPDATE: a row lock on PostgreSQL, the write lock on SQLite), so allocations on one fabric are serialized and
/// each takes the lowest free value (deterministic, and a released value is reused first). The unique index on
/// (pool, scope, value) stays the last word: even a bug here could not hand one value to two owners.
/// </summary>
public static class PoolAllocator
{
    /// <summary>Serializes allocations on the fabric until the transaction ends. Call it before reading what is taken.</summary>
    public static Task LockFabricAsync(DflareDbContext db, Guid fabricId, CancellationToken cancellationToken) =>
        db.Fabrics.Where(f => f.Id == fabricId).ExecuteUpdateAsync(s => s.SetProperty(f => f.UpdatedAt, f => f.UpdatedAt), cancellationToken);

    /// <summary>Takes the lowest free value of <paramref name="kind"/> from the fabric's pools (in name order) in
    /// <paramref name="scope"/> (a leaf, for a VLAN; <c>""</c> otherwise), adding its row to <paramref name="db"/>; IP
    /// pools are those cutting subnets of <paramref name="blockLength"/> (0 for other kinds). Throws <see cref="ResourceConflictException"/> (<c>pool-exhausted</c>) naming the pools.</summary>
    public static async Task<long> TakeAsync(
        DflareDbContext db, Guid fabricId, string kind, int blockLength, Guid ownerId, string scope, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var pools = await db.NetworkPools.AsNoTracking().Where(p => p.FabricId == fabricId && p.Kind == kind).OrderBy(p => p.Name).ToListAsync(cancellationToken);
        foreach (var pool in pools.Where(p => Serves(p, scope) && (blockLength == 0 || p.BlockLength == blockLength)))
        {
            var taken = (await db.NetworkAllocations.AsNoTracking().Where(a => a.PoolId == pool.Id && a.Scope == scope)
                .Select(a => a.Value).ToListAsync(cancellationToken)).ToHashSet();
            // Values added to this context but not saved yet (a subnet's VLAN on several leaves is one save).
            taken.UnionWith(db.ChangeTracker.Entries<NetworkAllocationRow>().Where(e => e.State == EntityState.Added && e.Entity.PoolId == pool.Id && e.Entity.Scope == scope).Select(e => e.Entity.Value));
            var (low, high) = PoolKinds.IsPrefix(kind) ? (0L, NetworkPoolKind.Size(pool) - 1) : (pool.Start, pool.End);
            var value = LowestFree(low, high, taken);
            if (value is { } free)
            {
                db.NetworkAllocations.Add(new NetworkAllocationRow
                {
                    Id = Guid.CreateVersion7(now), PoolId = pool.Id, Scope = scope, Value = free, OwnerId = ownerId, CreatedAt = now,
                });
                return free;
            }
        }
        var names = pools.Count == 0 ? "none is registered" : $"{string.Join(", ", pools.Select(p => $"'{p.Name}'"))} {(pools.Count == 1 ? "is" : "are")} full";
        throw new ResourceConflictException("pool-exhausted", $"No {kind} value is free.",
            $"No {kind}{(blockLength > 0 ? $" /{blockLength}" : "")} value is free on this fabric{(scope.Length > 0 ? $" for leaf '{scope}'" : "")}: {names}. An operator can add a pool or grow one.");
    }

    /// <summary>Gives back everything <paramref name="ownerId"/> holds. Idempotent: releasing twice deletes nothing the second time.</summary>
    public static Task<int> ReleaseAsync(DflareDbContext db, Guid ownerId, CancellationToken cancellationToken) =>
        db.NetworkAllocations.Where(a => a.OwnerId == ownerId).ExecuteDeleteAsync(cancellationToken);

    private static bool Serves(NetworkPoolRow pool, string scope) =>
        scope.Length == 0 || pool.Leaves == "[]" || System.Text.Json.JsonSerializer.Deserialize<string[]>(pool.Leaves)!.Contains(scope, StringComparer.Ordinal);

    private static long? LowestFree(long low, long high, HashSet<long> taken)
    {
        // At most taken.Count + 1 candidates before one is free.
        for (var value = low; value <= high; value++)
        {
            if (!taken.Contains(value))
            {
                return value;
            }
        }
        return null;
    }
}
