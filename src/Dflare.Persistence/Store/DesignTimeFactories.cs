using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Dflare.Persistence.Store;

// Used only by `dotnet ef migrations add`; never at run time.
internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteDflareDbContext>
{
    public SqliteDflareDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteDflareDbContext>().UseSqlite("Data Source=design.db").Options);
}

internal sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresDflareDbContext>
{
    public PostgresDflareDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresDflareDbContext>().UseNpgsql("Host=localhost").Options);
}
