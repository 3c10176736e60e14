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
    private const int Candidates = 32;

    public string WorkerId => workerId;

    public TimeSpan LeaseDuration => leaseDuration;

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

    /// <summary>
    /// Loads the run, checks this worker still holds it with the claimed token, renews the lease and applies
    /// <paramref name="write"/>; all of it commits in one transaction whose UPDATE of the run carries
    /// <c>WHERE fencing_token = claimed</c>, so if the lease was taken over meanwhile nothing commits and
    /// <see cref="LeaseLostException"/> is thrown. An explicit transaction is needed when <paramref name="write"/>
    /// runs statements of its own (a step's write); the engine's transitions only add changes, which SaveChanges
    /// commits atomically by itself.
    /// </summary>
    public async Task<T> FencedAsync<T>(
        RunClaim claim, Func<DflareDbContext, WorkflowRunRow, Task<T>> write, bool explicitTransaction, CancellationToken cancellationToken)
    {
        await using var db = openStore();
        await using var transaction = explicitTransaction ? await db.Database.BeginTransactionAsync(cancellationToken) : null;
        var run = await db.WorkflowRuns.SingleAsync(r => r.Id == claim.RunId, cancellationToken);
        if (run.FencingToken != claim.FencingToken || run.LeaseOwner != workerId)
        {
            throw new LeaseLostException(claim.RunId, claim.FencingToken);
        }
        var now = time.GetUtcNow();
        run.LeaseExpiresAt = now + leaseDuration;
        run.UpdatedAt = now;
        var result = await write(db, run);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            if (transaction is not null)
            {
                await transaction.CommitAsync(cancellationToken);
            }
        }
        catch (DbUpdateConcurrencyException ex) when (ex.Entries.Any(e => e.Entity is WorkflowRunRow))
        {
            // Another object's concurrency conflict (a step's own write) stays what it is: a failure of that step.
            throw new LeaseLostException(claim.RunId, claim.FencingToken);
        }
        return result;
    }
}
