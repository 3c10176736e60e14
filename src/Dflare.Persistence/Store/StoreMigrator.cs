using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dflare.Persistence.Store;

/// <summary>Applies the provider's schema migrations and reports whether the schema is current.</summary>
public sealed partial class StoreMigrator(IOptions<StoreOptions> options, ILogger<StoreMigrator> logger)
{
    /// <summary>Applies every pending migration and returns their ids, oldest first.</summary>
    public async Task<IReadOnlyList<string>> MigrateAsync(CancellationToken cancellationToken)
    {
        var store = options.Value;
        if (store.Provider == StoreProvider.Sqlite)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(store.SqlitePath)!);
        }
        await using var db = StoreContexts.Create(store);
        var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
        // EF Core takes a migration lock (an advisory lock on PostgreSQL), so replicas starting together are safe.
        await db.Database.MigrateAsync(cancellationToken);
        if (store.Provider == StoreProvider.Sqlite)
        {
            // WAL lets readers proceed while a writer commits; the mode is stored in the file, so once is enough.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
        }
        foreach (var id in pending)
        {
            LogMigrationApplied(logger, id, store.Provider);
        }
        return pending;
    }

    /// <summary>Whether the store answers and which migrations it still lacks. Never throws for an unreachable store.</summary>
    public async Task<SchemaStatus> GetStatusAsync(CancellationToken cancellationToken)
    {
        var store = options.Value;
        if (store.Provider == StoreProvider.Sqlite && !File.Exists(store.SqlitePath))
        {
            return new SchemaStatus(Reachable: false, Pending: [], Error: $"no database file at {store.SqlitePath}");
        }
        try
        {
            await using var db = StoreContexts.Create(store);
            var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
            return new SchemaStatus(Reachable: true, Pending: pending, Error: null);
        }
        catch (Exception ex) when (ex is DbException or InvalidOperationException or TimeoutException)
        {
            return new SchemaStatus(Reachable: false, Pending: [], Error: ex.Message);
        }
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Applied store migration {MigrationId} on {Provider}")]
    private static partial void LogMigrationApplied(ILogger logger, string migrationId, StoreProvider provider);
}

/// <summary>The store's answer to "can I serve?": reachable, and no migration pending.</summary>
public sealed record SchemaStatus(bool Reachable, IReadOnlyList<string> Pending, string? Error)
{
    public bool IsCurrent => Reachable && Pending.Count == 0;
}
