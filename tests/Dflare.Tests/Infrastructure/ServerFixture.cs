namespace Dflare.Tests.Infrastructure;

/// <summary>One running server per test class; tests use distinct object names so they never see each other.</summary>
public abstract class ServerFixture : IAsyncLifetime
{
    private TestServer? _server;

    public TestServer Server => _server ?? throw new InvalidOperationException("The fixture has not started.");

    protected abstract Task<StoreTarget> CreateStoreAsync();

    protected virtual IReadOnlyDictionary<string, string?>? Settings => null;

    public async ValueTask InitializeAsync()
    {
        _server = await TestServer.StartAsync(await CreateStoreAsync(), Settings);
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        GC.SuppressFinalize(this);
    }
}

public sealed class SqliteServerFixture : ServerFixture
{
    protected override Task<StoreTarget> CreateStoreAsync() => Task.FromResult(StoreTarget.Sqlite());

    // A small body limit, so the oversized-body test sends kilobytes, not megabytes.
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Server:MaxRequestBodyBytes"] = "8192" };
}

public sealed class PostgresServerFixture : ServerFixture
{
    protected override Task<StoreTarget> CreateStoreAsync() => StoreTarget.PostgresAsync();

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Server:MaxRequestBodyBytes"] = "8192" };
}
