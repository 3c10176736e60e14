using System.Net.Http.Headers;
using Dflare.Persistence.Store;
using Dflare.Server.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dflare.Tests.Infrastructure;

/// <summary>The real server on real Kestrel on a free loopback port, with a known admin credential. Disposing it
/// also disposes its store.</summary>
public sealed class TestServer : IAsyncDisposable
{
    public const string AdminCredential = "dfl_test_admin_credential_0123456789abcdef";

    private TestServer(DflareServer server, StoreTarget store)
    {
        Server = server;
        Store = store;
        Client = CreateClient(AdminCredential);
        Anonymous = CreateClient(null);
    }

    public DflareServer Server { get; }

    public StoreTarget Store { get; }

    /// <summary>Authenticated as the administrator.</summary>
    public HttpClient Client { get; }

    public HttpClient Anonymous { get; }

    public static async Task<TestServer> StartAsync(
        StoreTarget store, IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? configureServices = null)
    {
        var all = new Dictionary<string, string?>
        {
            ["Server:Urls"] = "http://127.0.0.1:0",
            ["Agents:Url"] = "https://127.0.0.1:0",
            // Tests that want the simulated datacenter or automatic onboarding turn them on.
            ["Simulation:Enabled"] = "false",
            ["Provisioning:Automatic"] = "false",
            ["Bootstrap:AdminCredential"] = AdminCredential,
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in store.Settings)
        {
            all[key] = value;
        }
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }
        try
        {
            var server = await DflareServer.StartAsync([], all, configureServices, TestContext.Current.CancellationToken);
            return new TestServer(server, store);
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }

    public HttpClient CreateClient(string? credential)
    {
        var client = new HttpClient { BaseAddress = Server.BaseAddress };
        if (credential is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", credential);
        }
        return client;
    }

    /// <summary>Rows in every table, to prove a refused request wrote nothing.</summary>
    public async Task<string> CountRowsAsync()
    {
        await using var scope = Server.App.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DflareDbContext>();
        var ct = TestContext.Current.CancellationToken;
        return $"tenants={await db.Tenants.CountAsync(ct)} projects={await db.Projects.CountAsync(ct)} " +
               $"idempotency={await db.IdempotencyRecords.CountAsync(ct)} sites={await db.Sites.CountAsync(ct)} " +
               $"racks={await db.Racks.CountAsync(ct)} skus={await db.Skus.CountAsync(ct)} nodes={await db.Nodes.CountAsync(ct)}";
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        Anonymous.Dispose();
        await Server.DisposeAsync();
        // The server owns its store: a test database is dropped once nothing uses it.
        await Store.DisposeAsync();
    }
}
