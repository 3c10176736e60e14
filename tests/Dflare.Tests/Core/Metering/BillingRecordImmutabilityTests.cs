using System.Data.Common;
using Dflare.Persistence.Metering;
using Dflare.Persistence.Store;
using Dflare.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Dflare.Tests.Core.Metering;

/// <summary>The store itself refuses to change or remove a billing record, whoever asks (triggers from the migrations).</summary>
public sealed class BillingRecordImmutabilityTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public Task UpdateAndDelete_AreRefused_OnSqlite() => AssertRefusedAsync(StoreTarget.Sqlite(), truncate: false);

    [Fact]
    public async Task UpdateDeleteAndTruncate_AreRefused_OnPostgres() => await AssertRefusedAsync(await StoreTarget.PostgresAsync(), truncate: true);

    private static async Task AssertRefusedAsync(StoreTarget store, bool truncate)
    {
        await using var _ = store;
        await new StoreMigrator(Options.Create(store.Options), NullLogger<StoreMigrator>.Instance).MigrateAsync(Ct);
        await using var db = StoreContexts.Create(store.Options);
        var record = new BillingRecordRow
        {
            Id = Guid.NewGuid(), Kind = "Charge", Tenant = "acme", Project = "p", User = "", Cluster = "c", Meter = "cpu-hours", Dimension = "",
            Hour = DateTimeOffset.UnixEpoch, Quantity = 3600, UnitPrice = 1, Amount = 1, Currency = "USD", PriceBook = "b", Events = "[]", CreatedAt = DateTimeOffset.UnixEpoch,
        };
        db.BillingRecords.Add(record);
        await db.SaveChangesAsync(Ct);

        var statements = new List<string> { "UPDATE billing_records SET amount = 0", "DELETE FROM billing_records" };
        if (truncate)
        {
            statements.Add("TRUNCATE billing_records");
        }
        foreach (var sql in statements)
        {
            var refused = await Assert.ThrowsAnyAsync<DbException>(() => db.Database.ExecuteSqlRawAsync(sql, Ct));
            Assert.Contains("append-only", refused.Message, StringComparison.Ordinal);
        }
        // Through EF as well: an edited entity does not save.
        record.Amount = 0;
        await Assert.ThrowsAnyAsync<DbUpdateException>(() => db.SaveChangesAsync(Ct));
        await using var fresh = StoreContexts.Create(store.Options);
        var stored = await fresh.BillingRecords.AsNoTracking().SingleAsync(Ct);
        Assert.Equal(1m, stored.Amount);
    }
}
