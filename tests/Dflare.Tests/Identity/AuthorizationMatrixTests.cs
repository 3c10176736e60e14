using System.Net;
using System.Text.Json.Nodes;
using Dflare.Core.Identity;
using Dflare.Server.Access;
using Dflare.Tests.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Dflare.Tests.Identity;

/// <summary>
/// Every API route in the OpenAPI document × every built-in role × the caller's own tenant and another tenant. What
/// each role may do is written out here by hand (not read from the server), so a widened role fails this test.
/// </summary>
public sealed class AuthorizationMatrixTests : IAsyncLifetime
{
    private const string Own = "acme";
    private const string Other = "globex";
    private const string Missing = "missing-object";

    /// <summary>The roles of a tenant that hold each permission; a permission not listed is for operators only.</summary>
    private static readonly Dictionary<string, string[]> TenantRolesWith = new()
    {
        [Permissions.TenantsRead] = ["tenant-admin", "member", "viewer", "billing-viewer"],
        [Permissions.ProjectsRead] = ["tenant-admin", "member", "viewer"],
        [Permissions.ProjectsCreate] = ["tenant-admin"],
        [Permissions.ProjectsUpdate] = ["tenant-admin"],
        [Permissions.ProjectsDelete] = ["tenant-admin"],
        [Permissions.IdentityRead] = ["tenant-admin"],
        [Permissions.IdentityManage] = ["tenant-admin"],
        [Permissions.AuditRead] = ["tenant-admin"],
        [Permissions.VolumesRead] = ["tenant-admin", "member", "viewer"],
        [Permissions.VolumesCreate] = ["tenant-admin", "member"],
        [Permissions.VolumesUpdate] = ["tenant-admin", "member"],
        [Permissions.VolumesDelete] = ["tenant-admin", "member"],
        [Permissions.NetworksRead] = ["tenant-admin", "member", "viewer"],
        [Permissions.NetworksCreate] = ["tenant-admin"],
        [Permissions.NetworksUpdate] = ["tenant-admin"],
        [Permissions.NetworksDelete] = ["tenant-admin"],
        [Permissions.BillingRead] = ["tenant-admin", "billing-viewer"],
        [Permissions.BudgetsWrite] = ["tenant-admin"],
        [Permissions.ClustersRead] = ["tenant-admin", "member", "viewer"],
        [Permissions.ClustersCreate] = ["tenant-admin", "member"],
        [Permissions.ClustersUpdate] = ["tenant-admin", "member"],
        [Permissions.ClustersDelete] = ["tenant-admin", "member"],
        [Permissions.ClustersAccess] = ["tenant-admin", "member"],
    };

    private static readonly string[] TenantRoles = ["tenant-admin", "member", "viewer", "billing-viewer"];

    private IdentityWorld _world = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _world = await IdentityWorld.StartAsync();
        await _world.CreateTenantAsync(Own, "research");
        await _world.CreateTenantAsync(Other, "lab");
        await _world.CreateUserAsync(Other, "gina", BuiltInRoles.TenantAdmin);
        foreach (var role in TenantRoles)
        {
            await _world.CreateUserAsync(Own, role, role);
        }
        await _world.CreateUserAsync(Realms.Platform, "operator", BuiltInRoles.PlatformAdmin);
    }

    public async ValueTask DisposeAsync() => await _world.DisposeAsync();

    [Fact]
    public async Task EveryRoute_EveryBuiltInRole_OwnAndOtherTenant()
    {
        var routes = await ApiRoutesAsync();
        Assert.True(routes.Count > 40, $"only {routes.Count} routes found");
        var callers = new Dictionary<string, HttpClient> { ["platform-admin"] = await _world.SignInAsync(Realms.Platform, "operator") };
        foreach (var role in TenantRoles)
        {
            callers[role] = await _world.SignInAsync(Own, role);
        }
        var failures = new List<string>();
        foreach (var (method, path, permission) in routes)
        {
            foreach (var (role, client) in callers)
            {
                foreach (var tenant in new[] { Own, Other })
                {
                    var url = Substitute(path, tenant);
                    var response = await SendAsync(client, method, url);
                    var status = (int)response.StatusCode;
                    var body = await response.Content.ReadAsStringAsync(Ct);
                    var expectation = Expect(role, permission, tenant, path);
                    if (!expectation.Allows(status))
                    {
                        failures.Add($"{role} {method} {url} ({permission.Permission}): {status}, expected {expectation}");
                    }
                    if (role != "platform-admin" && status < 300 && HoldsOtherTenantsData(path, body))
                    {
                        failures.Add($"{role} {method} {url}: the answer holds another tenant's data");
                    }
                }
            }
            var anonymous = await SendAsync(_world.Server.Anonymous, method, Substitute(path, Own));
            if (anonymous.StatusCode != HttpStatusCode.Unauthorized)
            {
                failures.Add($"anonymous {method} {path}: {(int)anonymous.StatusCode}, expected 401");
            }
        }
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Fact]
    public void EveryApiRoute_DeclaresItsPermission_AndEveryOtherRouteSaysHowItIsAuthenticated()
    {
        var endpoints = _world.Server.Server.App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        var undeclared = new List<string>();
        foreach (var endpoint in endpoints)
        {
            var route = endpoint.RoutePattern.RawText ?? "";
            var permission = endpoint.Metadata.GetMetadata<RequiresPermission>();
            var anonymous = endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null;
            if (route.StartsWith("/api/v1/", StringComparison.Ordinal))
            {
                if (permission is null || anonymous || !Permissions.All.Contains(permission.Permission))
                {
                    undeclared.Add(route);
                }
                continue;
            }
            var agentOnly = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Any(a => a.AuthenticationSchemes == "AgentCertificate")
                || endpoint.Metadata.GetOrderedMetadata<AuthorizationPolicy>().Any(p => p.AuthenticationSchemes.Contains("AgentCertificate"));
            // Portal pages are signed in with the portal's cookie, and act only through the API with the person's own token.
            var portal = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Any(a => a.Policy == Dflare.Server.Portal.PortalServices.Policy);
            if (permission is null && !anonymous && !agentOnly && !portal)
            {
                undeclared.Add(route);
            }
        }
        Assert.True(undeclared.Count == 0, "Routes without a declared permission or authentication: " + string.Join(", ", undeclared));
        Assert.Contains(endpoints, e => e.RoutePattern.RawText == "/realms/{realm}/protocol/openid-connect/token");
    }

    [Fact]
    public async Task Lists_NeverHoldAnotherTenantsRows()
    {
        using var admin = await _world.SignInAsync(Own, "tenant-admin");
        var tenants = await (await admin.GetAsync("/api/v1/tenants", Ct)).ReadAsync();
        Assert.Equal([Own], tenants["items"]!.AsArray().Select(t => (string)t!["metadata"]!["name"]!));
        var users = await (await admin.GetAsync($"/api/v1/realms/{Own}/users", Ct)).ReadAsync();
        Assert.DoesNotContain("gina", users.ToJsonString(), StringComparison.Ordinal);
        var audit = await (await admin.GetAsync("/api/v1/audit?limit=500", Ct)).ReadAsync();
        Assert.NotEmpty(audit["items"]!.AsArray());
        Assert.All(audit["items"]!.AsArray(), e => Assert.Equal(Own, (string?)e!["tenant"]));
        // The operator sees both tenants' entries.
        var all = await (await _world.Admin.GetAsync("/api/v1/audit?limit=500", Ct)).ReadAsync();
        Assert.Contains(all["items"]!.AsArray(), e => (string?)e!["tenant"] == Other);
    }

    [Fact]
    public async Task AProjectMember_SeesOnlyTheirProjects_AndCannotActOnOthers()
    {
        Assert.Equal(201, (int)(await _world.Admin.PostJsonAsync($"/api/v1/tenants/{Own}/projects", Json.Project("private"))).StatusCode);
        await _world.CreateUserAsync(Own, "pat", BuiltInRoles.Viewer, "research");
        using var pat = await _world.SignInAsync(Own, "pat");

        var projects = await (await pat.GetAsync($"/api/v1/tenants/{Own}/projects", Ct)).ReadAsync();
        Assert.Equal(["research"], projects["items"]!.AsArray().Select(p => (string)p!["metadata"]!["name"]!));
        Assert.Equal(HttpStatusCode.OK, (await pat.GetAsync($"/api/v1/tenants/{Own}/projects/research", Ct)).StatusCode);
        await (await pat.GetAsync($"/api/v1/tenants/{Own}/projects/private", Ct)).AssertProblemAsync(403, "forbidden");
    }

    [Fact]
    public async Task AnotherTenantsObject_Answers404_ExactlyLikeAMissingOne()
    {
        using var admin = await _world.SignInAsync(Own, "tenant-admin");
        var hidden = await admin.GetAsync($"/api/v1/tenants/{Other}/projects/lab", Ct);
        var missing = await _world.Admin.GetAsync("/api/v1/tenants/no-such-tenant/projects/lab", Ct);
        var a = await hidden.AssertProblemAsync(404, "not-found");
        var b = await missing.AssertProblemAsync(404, "not-found");
        Assert.Equal((string?)b["title"], (string?)a["title"]);
        Assert.Equal(((string?)b["detail"])!.Replace("no-such-tenant", Other, StringComparison.Ordinal), (string?)a["detail"]);
    }

    /// <summary>Another tenant's names anywhere in an answer; for the audit log, an entry of another tenant (a caller's
    /// own entries may name what it probed).</summary>
    private static bool HoldsOtherTenantsData(string path, string body) => path == "/api/v1/audit"
        ? JsonNode.Parse(body)!["items"]!.AsArray().Any(e => (string?)e!["tenant"] != Own)
        : body.Contains(Other, StringComparison.Ordinal) || body.Contains("gina", StringComparison.Ordinal);

    private sealed record Expectation(bool Allowed, int? Exactly)
    {
        public bool Allows(int status) => Exactly is { } exact ? status == exact : Allowed ? status is not (401 or 403) : status == 403;

        public override string ToString() => Exactly is { } exact ? exact.ToString(System.Globalization.CultureInfo.InvariantCulture) : Allowed ? "not 401/403" : "403";
    }

    private static Expectation Expect(string role, RequiresPermission permission, string tenant, string path)
    {
        if (role == "platform-admin")
        {
            return new(true, null);
        }
        var inTenant = permission.Scope is PermissionScope.Tenant or PermissionScope.Realm;
        if (tenant == Other && inTenant)
        {
            return new(false, 404); // hidden, whatever the role
        }
        var holds = TenantRolesWith.TryGetValue(permission.Permission, out var roles) && roles.Contains(role);
        if (permission.Scope == PermissionScope.Platform)
        {
            return new(false, 403);
        }
        return new(holds, null);
    }

    private async Task<List<(string Method, string Path, RequiresPermission Permission)>> ApiRoutesAsync()
    {
        var document = await (await _world.Server.Anonymous.GetAsync("/openapi/v1.json", Ct)).ReadAsync();
        var declared = _world.Server.Server.App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<RequiresPermission>() is not null)
            .SelectMany(e => (e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? []).Select(m => (Key: $"{m} {e.RoutePattern.RawText!.TrimEnd('/')}", Permission: e.Metadata.GetMetadata<RequiresPermission>()!)))
            .ToDictionary(x => x.Key, x => x.Permission);
        var routes = new List<(string, string, RequiresPermission)>();
        foreach (var (path, item) in document["paths"]!.AsObject())
        {
            if (!path.StartsWith("/api/v1", StringComparison.Ordinal))
            {
                continue;
            }
            foreach (var (method, _) in item!.AsObject())
            {
                var verb = method.ToUpperInvariant();
                Assert.True(declared.TryGetValue($"{verb} {path.TrimEnd('/')}", out var permission), $"{verb} {path} is in the OpenAPI document but declares no permission");
                routes.Add((verb, path, permission!));
            }
        }
        return routes;
    }

    private static string Substitute(string path, string tenant)
    {
        var url = path.Replace("{tenant}", tenant, StringComparison.Ordinal).Replace("{realm}", tenant, StringComparison.Ordinal);
        url = path.StartsWith("/api/v1/tenants/{name}", StringComparison.Ordinal) ? url.Replace("{name}", tenant, StringComparison.Ordinal) : url;
        // GETs read a real object where there is one; writes aim at a missing one, so the matrix changes nothing.
        return System.Text.RegularExpressions.Regex.Replace(url, "{[^}]+}", Missing);
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, string method, string url)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), url);
        if (method is "POST" or "PUT")
        {
            request.Content = Json.Body("{}");
        }
        return await client.SendAsync(request, Ct);
    }
}
