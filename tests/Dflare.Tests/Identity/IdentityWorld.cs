using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dflare.Tests.Infrastructure;

namespace Dflare.Tests.Identity;

/// <summary>
/// A server with realms, users and role bindings made through the public API, and helpers to sign in over the real
/// token endpoint. Password hashing is made cheap here (Argon2id with 8 MiB, one pass); production keeps its defaults.
/// </summary>
public sealed class IdentityWorld : IAsyncDisposable
{
    public const string Password = "correct horse battery staple";

    public static readonly IReadOnlyDictionary<string, string?> FastHashing = new Dictionary<string, string?>
    {
        ["Identity:PasswordMemoryKiB"] = "8192",
        ["Identity:PasswordIterations"] = "1",
        ["Identity:DevicePollSeconds"] = "1",
    };

    private IdentityWorld(TestServer server) => Server = server;

    public TestServer Server { get; }

    public HttpClient Admin => Server.Client;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<IdentityWorld> StartAsync(
        StoreTarget? store = null, IReadOnlyDictionary<string, string?>? settings = null, Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? configureServices = null)
    {
        var all = new Dictionary<string, string?>(FastHashing);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }
        return new IdentityWorld(await TestServer.StartAsync(store ?? StoreTarget.Sqlite(), all, configureServices));
    }

    public async Task CreateTenantAsync(string tenant, params string[] projects)
    {
        Assert.Equal(201, (int)(await Admin.PostJsonAsync("/api/v1/tenants", Json.Tenant(tenant))).StatusCode);
        foreach (var project in projects)
        {
            Assert.Equal(201, (int)(await Admin.PostJsonAsync($"/api/v1/tenants/{tenant}/projects", Json.Project(project))).StatusCode);
        }
    }

    /// <summary>A local user of <paramref name="realm"/> holding <paramref name="role"/> (over the realm, or one project).</summary>
    public async Task CreateUserAsync(string realm, string user, string? role, string? project = null, params string[] groups)
    {
        var created = await Admin.PostAsJsonAsync($"/api/v1/realms/{realm}/users", new { name = user, password = Password, groups }, Ct);
        Assert.Equal(201, (int)created.StatusCode);
        if (role is not null)
        {
            await BindAsync(realm, $"{user}-{role}{(project is null ? "" : "-" + project)}", "User", user, role, project);
        }
    }

    public async Task BindAsync(string realm, string name, string kind, string subject, string role, string? project = null)
    {
        var bound = await Admin.PostAsJsonAsync($"/api/v1/realms/{realm}/role-bindings",
            new { name, subject = new { kind, name = subject }, role, project }, Ct);
        Assert.True((int)bound.StatusCode == 201, await bound.Content.ReadAsStringAsync(Ct));
    }

    public async Task<JsonNode> PasswordGrantAsync(string realm, string user, string password = Password)
    {
        var response = await TokenAsync(realm, new() { ["grant_type"] = "password", ["client_id"] = "dflare-cli", ["username"] = user, ["password"] = password });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Ct));
        return await response.ReadAsync();
    }

    public Task<HttpResponseMessage> TokenAsync(string realm, Dictionary<string, string> form) =>
        Server.Anonymous.PostAsync($"/realms/{realm}/protocol/openid-connect/token", new FormUrlEncodedContent(form), Ct);

    public async Task<string> AccessTokenAsync(string realm, string user) => (string)(await PasswordGrantAsync(realm, user))["access_token"]!;

    public HttpClient ClientWith(string accessToken)
    {
        var client = Server.CreateClient(null);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        return client;
    }

    public async Task<HttpClient> SignInAsync(string realm, string user) => ClientWith(await AccessTokenAsync(realm, user));

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}
