using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Dflare.Persistence.Store;

/// <summary>
/// Per-connection SQLite settings. In WAL mode, <c>synchronous=NORMAL</c> keeps every committed transaction across a
/// crash of the process (the workflow engine's guarantee) and skips an fsync per commit; only an OS crash or power
/// loss can lose the last commits. Operators who need that too run PostgreSQL. <c>mmap_size</c> lets reads map the
/// database instead of copying each page through <c>pread</c> (measured on the fleet benchmark, docs/benchmarks.md).
/// </summary>
internal sealed class SqlitePragmas : DbConnectionInterceptor
{
    public static readonly SqlitePragmas Instance = new();

    private const string Pragmas = "PRAGMA synchronous=NORMAL; PRAGMA mmap_size=268435456;";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
