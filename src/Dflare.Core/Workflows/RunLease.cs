using Dflare.Persistence.Store;
using Dflare.Persistence.Workflows;
using Microsoft.EntityFrameworkCore;

namespace Dflare.Core.Workflows;

/// <summary>A claim on one run: this worker, with this fencing token.</summary>
public sealed record RunClaim(Guid RunId, long FencingToken, bool TookOver);

/// <summary>
/// Claims and fenced writes. A claim is a compare-and-swap on the fencing token, so it works the same on SQLite and
/// PostgreSQL and two workers can never both win; every later write for the run first re-checks the token inside its
/// transaction (the row lock on PostgreSQL, the write lock on SQLite), so a worker whose lease was taken over cannot
/// commit anything.
/// </summary>
internal sealed class RunLease(Func<DflareDbContext> openStore, TimeProvider time, string workerId, TimeSpan leaseDuration)
{
    private const int Candidates = 8;

    public string WorkerId => workerId;

    public async Task<RunClaim?> TryClaimAsync(CancellationToken cancellationToken)
    {
        await using var db = openStore();
        var now = time.GetUtcNow();
        var candidates = await db.WorkflowRuns.AsNoTracking()
            .Where(r => (r.State == RunState.Pending || r.State == RunState.Running || r.State == RunState.Compensating)
                && r.DueAt <= now && (r.LeaseOwner == null || r.LeaseExpiresAt < now))
            .OrderBy(r => r.DueAt)
            .Select(r => new { r.Id, r.FencingToken, r.LeaseOwner })
            .Take(Candidates)
            .ToListAsync(cancellationToken);
        // Workers start from different candidates, so they rarely race for the same row.
        foreach (var candidate in candidates.OrderBy(_ => Random.Shared.Next()))
        {
            var claimed = await db.WorkflowRuns
                .Where(r => r.Id == candidate.Id && r.FencingToken == candidate.FencingToken)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(r => r.LeaseOwner, workerId)
                    .SetProperty(r => r.LeaseExpiresAt, now + leaseDuration)
                    .SetProperty(r => r.FencingToken, r => r.FencingToken + 1)
                    .SetProperty(r => r.UpdatedAt, now), cancellationToken);
            if (claimed == 1)
            {
                return new RunClaim(candidate.Id, candidate.FencingToken + 1, TookOver: candidate.LeaseOwner is not null);
            }
        }
        return null;
    }

    /// <summary>Runs <paramref name="write"/> in a transaction that commits only if the claim still holds; the lease
    /// is renewed by the same write. Throws <see cref="LeaseLostException"/> otherwise, having written nothing.</summary>
    public async Task FencedAsync(RunClaim claim, Func<DflareDbContext, Task> write, CancellationToken cancellationToken)
    {
        await using var db = openStore();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var now = time.GetUtcNow();
        var held = await db.WorkflowRuns
            .Where(r => r.Id == claim.RunId && r.FencingToken == claim.FencingToken && r.LeaseOwner == workerId)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.LeaseExpiresAt, now + leaseDuration).SetProperty(r => r.UpdatedAt, now), cancellationToken);
        if (held == 0)
        {
            throw new LeaseLostException(claim.RunId, claim.FencingToken);
        }
        await write(db);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }
}
