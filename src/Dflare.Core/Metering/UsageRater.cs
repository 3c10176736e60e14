using System.Text.Json;
using Dflare.Persistence.Metering;
using Dflare.Persistence.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Dflare.Core.Metering;

/// <summary>What a rating pass appended.</summary>
public sealed record RatingResult(int Tenants, int Charges, int Reversals, int Unpriced, int Alerts);

/// <summary>
/// Rates every complete hour: per tenant, in one transaction, it recomputes the hours from the raw events (read in one
/// scan per pass; the events a tenant sent after the scan are rated by the next pass) and compares
/// each with the charge in force for it. Equal: nothing. Different (a late event, a correction): a reversal of the old
/// charge and a new charge. So rating is idempotent — a pass killed midway rolls back and the next one gets the same
/// records — and the records, summed, always equal what the events say. Hours nothing prices are left unrated (and
/// counted) until a price book covers them; a charge keeps the price it was rated at. Then budgets are checked.
/// </summary>
public sealed partial class UsageRater(Func<DflareDbContext> openStore, TimeProvider time, ILogger<UsageRater> logger) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public void Dispose() => _gate.Dispose();

    public async Task<RatingResult> RateAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var now = time.GetUtcNow();
            var until = UsageMeters.Hour(now);
            await using var db = openStore();
            // One scan of the events (their table has no index but the dedup key, so ingestion stays fast), grouped here.
            var events = (await db.UsageEvents.AsNoTracking().ToListAsync(cancellationToken)).ToLookup(e => e.Tenant);
            var tenants = events.Select(g => g.Key).Order(StringComparer.Ordinal).ToList();
            var books = await db.PriceBooks.AsNoTracking().ToListAsync(cancellationToken);
            int charges = 0, reversals = 0, unpriced = 0;
            foreach (var tenant in tenants)
            {
                var (c, r, u) = await RateTenantAsync(tenant, events[tenant], books, until, now, cancellationToken);
                charges += c;
                reversals += r;
                unpriced += u;
            }
            var alerts = await Budgets.EvaluateAsync(db, now, logger, cancellationToken);
            return new RatingResult(tenants.Count, charges, reversals, unpriced, alerts);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<(int Charges, int Reversals, int Unpriced)> RateTenantAsync(
        string tenant, IEnumerable<UsageEventRow> events, IReadOnlyList<PriceBookRow> books, DateTimeOffset until, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var db = openStore();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var usage = UsageMeters.Compute(events, until);
        var records = await db.BillingRecords.AsNoTracking().Where(r => r.Tenant == tenant).ToListAsync(cancellationToken);
        var reversed = records.Where(r => r.Reverses != null).Select(r => r.Reverses!.Value).ToHashSet();
        var inForce = records.Where(r => r.Kind == BillingKinds.Charge && !reversed.Contains(r.Id))
            .ToDictionary(r => new UsageKey(r.Project, r.User, r.Cluster, r.Meter, r.Dimension, r.Hour));
        int charges = 0, reversals = 0, unpriced = 0;
        foreach (var (key, hour) in usage.OrderBy(u => u.Key.Hour))
        {
            inForce.TryGetValue(key, out var current);
            if (current is not null && current.Quantity == hour.Quantity)
            {
                continue;
            }
            var price = PriceBookKind.Resolve(books, tenant, key.Meter, key.Dimension, key.Hour)
                ?? (current is null ? null : new ResolvedPrice(current.UnitPrice, current.Currency, current.PriceBook));
            if (price is null)
            {
                unpriced++;
                continue;
            }
            if (current is not null)
            {
                db.BillingRecords.Add(Reversal(current, now));
                reversals++;
            }
            db.BillingRecords.Add(Charge(tenant, key, hour, price, now));
            charges++;
        }
        // A charge whose usage the events no longer show (a correction moved it) is reversed.
        foreach (var (key, current) in inForce.Where(c => !usage.ContainsKey(c.Key)))
        {
            db.BillingRecords.Add(Reversal(current, now));
            reversals++;
        }
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        if (unpriced > 0)
        {
            Unpriced(logger, tenant, unpriced);
        }
        return (charges, reversals, unpriced);
    }

    private static BillingRecordRow Charge(string tenant, UsageKey key, HourUsage hour, ResolvedPrice price, DateTimeOffset now) => new()
    {
        Id = Guid.CreateVersion7(now), Kind = BillingKinds.Charge, Tenant = tenant, Project = key.Project, User = key.User, Cluster = key.Cluster,
        Meter = key.Meter, Dimension = key.Dimension, Hour = key.Hour, Quantity = hour.Quantity, UnitPrice = price.UnitPrice,
        Amount = Amount(key.Meter, hour.Quantity, price.UnitPrice), Currency = price.Currency, PriceBook = price.Book,
        Events = JsonSerializer.Serialize(hour.Events), CreatedAt = now,
    };

    private static BillingRecordRow Reversal(BillingRecordRow charge, DateTimeOffset now) => new()
    {
        Id = Guid.CreateVersion7(now), Kind = BillingKinds.Reversal, Reverses = charge.Id, Tenant = charge.Tenant, Project = charge.Project,
        User = charge.User, Cluster = charge.Cluster, Meter = charge.Meter, Dimension = charge.Dimension, Hour = charge.Hour,
        Quantity = -charge.Quantity, UnitPrice = charge.UnitPrice, Amount = -charge.Amount, Currency = charge.Currency,
        PriceBook = charge.PriceBook, Events = charge.Events, CreatedAt = now,
    };

    /// <summary>Base units × price per unit: an hour is 3600 unit-seconds, a GB 10^9 bytes.</summary>
    public static decimal Amount(string meter, decimal quantity, decimal unitPrice) => quantity * unitPrice / Meter.Named(meter)!.Divisor;

    [LoggerMessage(1, LogLevel.Warning, "Tenant {Tenant}: {Count} hour(s) of usage have no price; they are rated once a price book covers them")]
    private static partial void Unpriced(ILogger logger, string tenant, int count);
}

public static class BillingKinds
{
    public const string Charge = "Charge";
    public const string Reversal = "Reversal";
}
