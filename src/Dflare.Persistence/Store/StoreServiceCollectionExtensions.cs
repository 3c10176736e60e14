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

/// <summary>Builds the provider's context from <see cref="StoreOptions"/>; also used by the migrate command.</summary>
public static class StoreContexts
{
    public static DflareDbContext Create(StoreOptions options) => options.Provider switch
    {
        StoreProvider.Postgres => new PostgresDflareDbContext(
            new DbContextOptionsBuilder<PostgresDflareDbContext>()
                .UseNpgsql(options.ConnectionString, o => o.CommandTimeout(options.CommandTimeoutSeconds))
                .Options),
        _ => new SqliteDflareDbContext(
            new DbContextOptionsBuilder<SqliteDflareDbContext>()
                .UseSqlite(SqliteConnectionString(options), o => o.CommandTimeout(options.CommandTimeoutSeconds))
                .Options),
    };

    // Microsoft.Data.Sqlite retries SQLITE_BUSY until the command timeout, so concurrent writers queue, not fail.
    private static string SqliteConnectionString(StoreOptions options) =>
        $"Data Source={options.SqlitePath};Pooling=True;Default Timeout={options.CommandTimeoutSeconds};Foreign Keys=True";
}
