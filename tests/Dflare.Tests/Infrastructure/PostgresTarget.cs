using Dflare.Persistence.Store;
using Npgsql;

namespace Dflare.Tests.Infrastructure;

/// <summary>
/// A new database on the PostgreSQL server named by <c>DFLARE_TEST_POSTGRES</c> (the test command starts one on
/// loopback). Without it the test fails with what to do: PostgreSQL is a real dependency here, never a skip.
/// </summary>
public sealed class PostgresTarget : StoreTarget
{
    public const string EnvironmentVariable = "DFLARE_TEST_POSTGRES";
    private readonly string _adminConnectionString;
    private readonly string _database;

    private PostgresTarget(string adminConnectionString, string database)
    {
        _adminConnectionString = adminConnectionString;
        _database = database;
        ConnectionString = new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = database, Pooling = true }.ConnectionString;
    }

    public string ConnectionString { get; }

    public override StoreOptions Options => new() { Provider = StoreProvider.Postgres, ConnectionString = ConnectionString };

    public override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Store:Provider"] = "Postgres",
        ["Store:ConnectionString"] = ConnectionString,
    };

    public static async Task<StoreTarget> CreateAsync()
    {
        var admin = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(admin))
        {
            throw new InvalidOperationException(
                $"{EnvironmentVariable} is not set. Run the tests with ./test.sh, which starts PostgreSQL on loopback, " +
                $"or set {EnvironmentVariable} to a connection string of a superuser on a PostgreSQL server.");
        }
        var database = "dflare_test_" + Guid.NewGuid().ToString("N")[..16];
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {database}", connection);
        await command.ExecuteNonQueryAsync();
        return new PostgresTarget(admin, database);
    }

    public override async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(_adminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }
}
