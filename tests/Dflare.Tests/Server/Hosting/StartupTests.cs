using System.Net;
using System.Net.Http.Headers;
using Dflare.Persistence.Store;
using Dflare.Server.Hosting;
using Dflare.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dflare.Tests.Server.Hosting;

/// <summary>Start-up paths that need a server of their own: first start, schema not current, store unreachable.</summary>
public sealed class StartupTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Dictionary<string, string?> Settings(string dataDirectory) => new()
    {
        ["Server:Urls"] = "http://127.0.0.1:0",
        ["Agents:Url"] = "https://127.0.0.1:0",
        ["Simulation:Enabled"] = "false",
        ["Store:DataDirectory"] = dataDirectory,
        ["Logging:LogLevel:Default"] = "Warning",
    };

    [Fact]
    public async Task FirstStart_GeneratesAdminCredentialOnce_StoredOnlyAsHash()
    {
        using var directory = new TempDirectory();
        string credential;
        await using (var first = await DflareServer.StartAsync([], Settings(directory.Path), cancellationToken: Ct))
        {
            credential = first.GeneratedAdminCredential!;
            Assert.StartsWith("dfl_", credential, StringComparison.Ordinal);
            using var client = new HttpClient { BaseAddress = first.BaseAddress };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", credential);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/tenants", Ct)).StatusCode);

            await using var scope = first.App.Services.CreateAsyncScope();
            var stored = await scope.ServiceProvider.GetRequiredService<DflareDbContext>().AdminCredentials.SingleAsync(Ct);
            Assert.NotEqual(credential, stored.SecretHash);
            Assert.DoesNotContain(credential, stored.SecretHash, StringComparison.Ordinal);
            Assert.Equal(64, stored.SecretHash.Length);
        }

        await using var second = await DflareServer.StartAsync([], Settings(directory.Path), cancellationToken: Ct);
        Assert.Null(second.GeneratedAdminCredential);
        SqliteConnection.ClearAllPools();
    }

    [Fact]
    public async Task PendingMigrations_ServerComesUpUnready_UntilMigrated()
    {
        using var directory = new TempDirectory();
        var settings = Settings(directory.Path);
        settings["Store:MigrateOnStart"] = "false";
        await using (var empty = new SqliteConnection($"Data Source={Path.Combine(directory.Path, "dflare.db")}"))
        {
            await empty.OpenAsync(Ct); // an existing but empty database: reachable, every migration pending
        }

        await using var server = await DflareServer.StartAsync([], settings, cancellationToken: Ct);
        using var client = new HttpClient { BaseAddress = server.BaseAddress };
        var before = await client.GetAsync("/readyz", Ct);
        var beforeBody = await before.ReadAsync();
        await server.App.Services.GetRequiredService<StoreMigrator>().MigrateAsync(Ct);
        var after = await client.GetAsync("/readyz", Ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, before.StatusCode);
        Assert.Contains("pending", (string?)beforeBody["checks"]!["store"]!["description"], StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        SqliteConnection.ClearAllPools();
    }

    [Fact]
    public async Task UnreachablePostgres_ServerIsAliveButNotReady()
    {
        var settings = UnreachablePostgres("Error");

        await using var server = await DflareServer.StartAsync([], settings, cancellationToken: Ct);
        using var client = new HttpClient { BaseAddress = server.BaseAddress };
        var ready = await client.GetAsync("/readyz", Ct);
        var body = await ready.ReadAsync();

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("not reachable", (string?)body["checks"]!["store"]!["description"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnreachablePostgres_ApiAnswers503StoreUnavailable()
    {
        var settings = UnreachablePostgres("Critical");
        await using var server = await DflareServer.StartAsync([], settings, cancellationToken: Ct);
        using var client = new HttpClient { BaseAddress = server.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestServer.AdminCredential);

        var response = await client.GetAsync("/api/v1/tenants", Ct);

        await response.AssertProblemAsync(503, "store-unavailable");
        Assert.NotNull(response.Headers.RetryAfter);
    }

    private static Dictionary<string, string?> UnreachablePostgres(string logLevel) => new()
    {
        ["Server:Urls"] = "http://127.0.0.1:0",
        ["Agents:Url"] = "https://127.0.0.1:0",
        ["Simulation:Enabled"] = "false",
        ["Store:Provider"] = "Postgres",
        // Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
        ["Store:ConnectionString"] = "Host=127.0.0.1;Port=9;Username=nobody;Timeout=2",
        ["Store:MigrateOnStart"] = "false",
        ["Bootstrap:AdminCredential"] = TestServer.AdminCredential,
        ["Logging:LogLevel:Default"] = logLevel,
    };
}
