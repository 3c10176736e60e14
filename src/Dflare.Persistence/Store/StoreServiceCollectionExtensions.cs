using Npgsql;
using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Dflare.Persistence.Store;

public static class StoreServiceCollectionExtensions
{
    /// <summary>Registers <see cref="DflareDbContext"/> on the configured provider, and the migrator. Idempotent.</summary>
    public static IServiceCollection AddDflareStore(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(StoreMigrator)))
        {
            return services;
        }
        services.AddOptions<StoreOptions>();
        services.TryAddSingleton<StoreMigrator>();
        services.AddScoped<DflareDbContext>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<StoreOptions>>().Value;
            return StoreContexts.Create(options);
        });
        return services;
    }
}

/// <summary>Builds the provider's context from <see cref="StoreOptions"/>; also used by the migrate command and the
/// workflow engine, which opens a short-lived context per transition.</summary>
public static class StoreContexts
{
    // Building DbContextOptions is far costlier than a context; the engine opens thousands of contexts a second.
    private static readonly ConcurrentDictionary<(StoreProvider, string, int), DbContextOptions> Options = new();

    public static DflareDbContext Create(StoreOptions options)
    {
        var connectionString = options.Provider == StoreProvider.Postgres ? PostgresConnectionString(options) : SqliteConnectionString(options);
        var built = Options.GetOrAdd((options.Provider, connectionString, options.CommandTimeoutSeconds), key => key.Item1 switch
        {
            StoreProvider.Postgres => new DbContextOptionsBuilder<PostgresDflareDbContext>()
                .UseNpgsql(key.Item2, o => o.CommandTimeout(key.Item3))
                .Options,
            _ => new DbContextOptionsBuilder<SqliteDflareDbContext>()
                .UseSqlite(key.Item2, o => o.CommandTimeout(key.Item3))
                .AddInterceptors(SqlitePragmas.Instance)
                .Options,
        });
        return options.Provider == StoreProvider.Postgres
            ? new PostgresDflareDbContext((DbContextOptions<PostgresDflareDbContext>)built)
            : new SqliteDflareDbContext((DbContextOptions<SqliteDflareDbContext>)built);
    }

    // The engine repeats a handful of statements thousands of times a second: let Npgsql prepare them server-side
    // (unless the operator's connection string says otherwise), which spares PostgreSQL parsing and planning each one.
    private static string PostgresConnectionString(StoreOptions options)
    {
        var builder = new NpgsqlConnectionStringBuilder(options.ConnectionString ?? "");
        if (!(options.ConnectionString ?? "").Contains("Max Auto Prepare", StringComparison.OrdinalIgnoreCase))
        {
            builder.MaxAutoPrepare = 64;
            builder.AutoPrepareMinUsages = 2;
        }
        return builder.ConnectionString;
    }

    // Microsoft.Data.Sqlite retries SQLITE_BUSY until the command timeout, so concurrent writers queue, not fail.
    private static string SqliteConnectionString(StoreOptions options) =>
        $"Data Source={options.SqlitePath};Pooling=True;Default Timeout={options.CommandTimeoutSeconds};Foreign Keys=True";
}
