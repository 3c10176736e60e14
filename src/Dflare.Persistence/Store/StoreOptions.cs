namespace Dflare.Persistence.Store;

/// <summary>Where the state lives. Bound from the <c>Store</c> section of the configuration.</summary>
public sealed class StoreOptions
{
    public const string SectionName = "Store";

    /// <summary><c>sqlite</c> (default, embedded, one process) or <c>postgres</c> (production, several replicas).</summary>
    public StoreProvider Provider { get; set; } = StoreProvider.Sqlite;

    /// <summary>Directory that holds the SQLite file <c>dflare.db</c>. Default: <c>.dflare</c> under the working directory.</summary>
    public string DataDirectory { get; set; } = ".dflare";

    /// <summary>PostgreSQL connection string (Npgsql syntax). Required when the provider is <c>postgres</c>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Apply pending schema migrations when the server starts. Default: true.</summary>
    public bool MigrateOnStart { get; set; } = true;

    /// <summary>Seconds a store command may run before it fails. Default: 30.</summary>
    public int CommandTimeoutSeconds { get; set; } = 30;

    public string SqlitePath => Path.Combine(Path.GetFullPath(DataDirectory), "dflare.db");
}

public enum StoreProvider
{
    Sqlite = 0,
    Postgres = 1,
}
