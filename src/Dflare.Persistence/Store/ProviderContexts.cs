using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Dflare.Persistence.Store;

/// <summary>The embedded default: one SQLite file under the data directory. Owns Migrations/Sqlite.</summary>
public sealed class SqliteDflareDbContext(DbContextOptions<SqliteDflareDbContext> options) : DflareDbContext(options)
{
    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // SQLite has no timestamp type and cannot order DateTimeOffset text; store UTC ticks so ORDER BY and
        // comparisons mean the same as on PostgreSQL.
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<UtcTicksConverter>();
    }
}

/// <summary>Stores an instant as its UTC ticks; read back with offset zero, as PostgreSQL's timestamptz does.</summary>
internal sealed class UtcTicksConverter() : ValueConverter<DateTimeOffset, long>(
    value => value.UtcTicks,
    ticks => new DateTimeOffset(ticks, TimeSpan.Zero));

/// <summary>The production store. Owns Migrations/Postgres.</summary>
public sealed class PostgresDflareDbContext(DbContextOptions<PostgresDflareDbContext> options) : DflareDbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        // Names sort byte-wise, as in SQLite, so cursor pagination returns the same order on both providers.
        foreach (var entity in modelBuilder.Model.GetEntityTypes())
        {
            foreach (var property in entity.GetProperties().Where(p => p.Name == "Name"))
            {
                property.SetCollation("C");
            }
        }
    }
}
