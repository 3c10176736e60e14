using Dflare.Persistence.Access;
using Dflare.Persistence.Api;
using Dflare.Persistence.Store;
using Dflare.Persistence.Tenancy;
using Dflare.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Dflare.Tests.Persistence;

/// <summary>One suite, every provider: each subclass runs it against a real SQLite file or a real PostgreSQL server.</summary>
public abstract class StoreContractTests : IAsyncLifetime
{
    private StoreTarget? _target;

    protected abstract Task<StoreTarget> CreateTargetAsync();

    private StoreTarget Target => _target!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _target = await CreateTargetAsync();
        await Migrator().MigrateAsync(Ct);
    }

    public async ValueTask DisposeAsync()
    {
        if (_target is not null)
        {
            await _target.DisposeAsync();
        }
        GC.SuppressFinalize(this);
    }

    private StoreMigrator Migrator() => new(Options.Create(Target.Options), NullLogger<StoreMigrator>.Instance);

    private DflareDbContext Open() => StoreContexts.Create(Target.Options);

    private static TenantRow NewTenant(string name) => new()
    {
        Id = Guid.CreateVersion7(),
        Name = name,
        DisplayName = "Tenant " + name,
        Labels = """{"team":"llm"}""",
        CreatedAt = new DateTimeOffset(2026, 12, 3, 10, 11, 12, TimeSpan.Zero).AddTicks(1230),
        UpdatedAt = new DateTimeOffset(2026, 12, 3, 10, 11, 12, TimeSpan.Zero),
        ResourceVersion = 1,
    };

    private async Task<TenantRow> InsertTenantAsync(string name)
    {
        await using var db = Open();
        var row = NewTenant(name);
        db.Tenants.Add(row);
        await db.SaveChangesAsync(Ct);
        return row;
    }

    [Fact]
    public async Task Migrate_WhenApplied_ReportsSchemaCurrentAndSecondRunAppliesNothing()
    {
        var status = await Migrator().GetStatusAsync(Ct);
        var again = await Migrator().MigrateAsync(Ct);

        Assert.True(status.IsCurrent, status.Error);
        Assert.Empty(again);
    }

    [Fact]
    public async Task Tenant_WhenWritten_ReadsBackEveryField()
    {
        var written = await InsertTenantAsync("acme");

        await using var db = Open();
        var read = await db.Tenants.SingleAsync(t => t.Name == "acme", Ct);

        Assert.Equal(written.Id, read.Id);
        Assert.Equal("Tenant acme", read.DisplayName);
        Assert.Equal("""{"team":"llm"}""", read.Labels);
        Assert.Equal(written.CreatedAt, read.CreatedAt);
        Assert.Equal(TimeSpan.Zero, read.CreatedAt.Offset);
        Assert.Equal(1, read.ResourceVersion);
    }

    [Fact]
    public async Task TenantName_WhenTaken_IsRefusedByUniqueConstraint()
    {
        await InsertTenantAsync("taken");

        await using var db = Open();
        db.Tenants.Add(NewTenant("taken"));
        var error = await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync(Ct));

        Assert.True(StoreErrors.IsUniqueViolation(error));
        Assert.False(StoreErrors.IsForeignKeyViolation(error));
    }

    [Fact]
    public async Task ProjectName_IsUniqueWithinTenant_ButMayRepeatAcrossTenants()
    {
        var a = await InsertTenantAsync("tenant-a");
        var b = await InsertTenantAsync("tenant-b");
        await using (var db = Open())
        {
            db.Projects.Add(NewProject(a, "research"));
            db.Projects.Add(NewProject(b, "research"));
            await db.SaveChangesAsync(Ct);
        }

        await using var again = Open();
        again.Projects.Add(NewProject(a, "research"));
        var error = await Assert.ThrowsAsync<DbUpdateException>(() => again.SaveChangesAsync(Ct));

        Assert.True(StoreErrors.IsUniqueViolation(error));
    }

    [Fact]
    public async Task Tenant_WithProjects_CannotBeDeleted()
    {
        var tenant = await InsertTenantAsync("owner");
        await using (var db = Open())
        {
            db.Projects.Add(NewProject(tenant, "p1"));
            await db.SaveChangesAsync(Ct);
        }

        await using var delete = Open();
        delete.Tenants.Remove(await delete.Tenants.SingleAsync(t => t.Name == "owner", Ct));
        var error = await Assert.ThrowsAsync<DbUpdateException>(() => delete.SaveChangesAsync(Ct));

        Assert.True(StoreErrors.IsForeignKeyViolation(error));
    }

    [Fact]
    public async Task ConcurrentUpdates_FromTheSameVersion_OnlyTheFirstCommits()
    {
        await InsertTenantAsync("contended");
        await using var first = Open();
        await using var second = Open();
        var one = await first.Tenants.SingleAsync(t => t.Name == "contended", Ct);
        var two = await second.Tenants.SingleAsync(t => t.Name == "contended", Ct);

        one.DisplayName = "first";
        one.ResourceVersion++;
        two.DisplayName = "second";
        two.ResourceVersion++;
        await first.SaveChangesAsync(Ct);

        await Assert.ThrowsAsync<DbUpdateConcurrencyException>(() => second.SaveChangesAsync(Ct));
        await using var read = Open();
        var stored = await read.Tenants.SingleAsync(t => t.Name == "contended", Ct);
        Assert.Equal("first", stored.DisplayName);
        Assert.Equal(2, stored.ResourceVersion);
    }

    [Fact]
    public async Task Names_OrderByteWise_OnEveryProvider()
    {
        string[] names = ["b", "a-b", "ab", "a0", "a", "z9", "a-a"];
        foreach (var name in names)
        {
            await InsertTenantAsync(name);
        }

        await using var db = Open();
        var ordered = await db.Tenants.OrderBy(t => t.Name).Select(t => t.Name).ToListAsync(Ct);
        var after = await db.Tenants.Where(t => string.Compare(t.Name, "a-b") > 0).OrderBy(t => t.Name).Select(t => t.Name).ToListAsync(Ct);

        Assert.Equal(names.Order(StringComparer.Ordinal), ordered);
        Assert.Equal(["a0", "ab", "b", "z9"], after);
    }

    [Fact]
    public async Task IdempotencyRecords_AreUniquePerScopeAndKey_AndExpireByTime()
    {
        var now = new DateTimeOffset(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);
        await using (var db = Open())
        {
            db.IdempotencyRecords.Add(NewRecord("k1", now.AddHours(-1)));
            db.IdempotencyRecords.Add(NewRecord("k2", now.AddHours(1)));
            await db.SaveChangesAsync(Ct);
        }
        await using (var duplicate = Open())
        {
            duplicate.IdempotencyRecords.Add(NewRecord("k1", now));
            var error = await Assert.ThrowsAsync<DbUpdateException>(() => duplicate.SaveChangesAsync(Ct));
            Assert.True(StoreErrors.IsUniqueViolation(error));
        }

        await using var sweep = Open();
        var deleted = await sweep.IdempotencyRecords.Where(r => r.ExpiresAt <= now).ExecuteDeleteAsync(Ct);

        Assert.Equal(1, deleted);
        Assert.Equal("k2", (await sweep.IdempotencyRecords.SingleAsync(Ct)).Key);
    }

    [Fact]
    public async Task AdminCredential_HashIsUnique()
    {
        await using var db = Open();
        db.AdminCredentials.Add(new AdminCredentialRow { Id = Guid.NewGuid(), Name = "one", Prefix = "dfl_x", SecretHash = "h" });
        db.AdminCredentials.Add(new AdminCredentialRow { Id = Guid.NewGuid(), Name = "two", Prefix = "dfl_y", SecretHash = "h" });

        var error = await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync(Ct));

        Assert.True(StoreErrors.IsUniqueViolation(error));
    }

    private static ProjectRow NewProject(TenantRow tenant, string name) => new()
    {
        Id = Guid.CreateVersion7(),
        TenantId = tenant.Id,
        Name = name,
        CreatedAt = DateTimeOffset.UnixEpoch,
        UpdatedAt = DateTimeOffset.UnixEpoch,
        ResourceVersion = 1,
    };

    private static IdempotencyRecordRow NewRecord(string key, DateTimeOffset expiresAt) => new()
    {
        Scope = "admin POST /api/v1/tenants",
        Key = key,
        RequestHash = new string('0', 64),
        StatusCode = 201,
        ResponseBody = "{}",
        CreatedAt = expiresAt.AddHours(-24),
        ExpiresAt = expiresAt,
    };
}

public sealed class SqliteStoreTests : StoreContractTests
{
    protected override Task<StoreTarget> CreateTargetAsync() => Task.FromResult(StoreTarget.Sqlite());
}

public sealed class PostgresStoreTests : StoreContractTests
{
    protected override Task<StoreTarget> CreateTargetAsync() => StoreTarget.PostgresAsync();
}
