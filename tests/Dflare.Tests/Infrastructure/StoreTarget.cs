using Dflare.Persistence.Store;

namespace Dflare.Tests.Infrastructure;

/// <summary>A fresh, empty store for one test class: a SQLite file in a temporary directory, or a new PostgreSQL database.</summary>
public abstract class StoreTarget : IAsyncDisposable
{
    public abstract StoreOptions Options { get; }

    /// <summary>The settings that point a server at this store.</summary>
    public abstract IReadOnlyDictionary<string, string?> Settings { get; }

    public abstract ValueTask DisposeAsync();

    public static StoreTarget Sqlite() => new SqliteTarget();

    public static Task<StoreTarget> PostgresAsync() => PostgresTarget.CreateAsync();

    private sealed class SqliteTarget : StoreTarget
    {
        private readonly TempDirectory _directory = new();

        public override StoreOptions Options => new() { Provider = StoreProvider.Sqlite, DataDirectory = _directory.Path };

        public override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
        {
            ["Store:Provider"] = "Sqlite",
            ["Store:DataDirectory"] = _directory.Path,
        };

        public override ValueTask DisposeAsync()
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            _directory.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
