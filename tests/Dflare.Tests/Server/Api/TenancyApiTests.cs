using System.Net;
using Dflare.Tests.Infrastructure;

namespace Dflare.Tests.Server.Api;

/// <summary>Tenants and projects through the real HTTP API, on each store provider.</summary>
public abstract class TenancyApiTests(ServerFixture fixture)
{
    private TestServer Server => fixture.Server;

    private HttpClient Client => Server.Client;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task CreateTenant_ThenGet_ReturnsKubernetesShapedObjectWithETag()
    {
        var created = await Client.PostJsonAsync("/api/v1/tenants", Json.Tenant("shape", "Shape Inc", """{"team":"llm"}"""));
        var createdBody = await created.ReadAsync();

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("/api/v1/tenants/shape", created.Headers.Location?.ToString());
        Assert.NotNull(created.Headers.ETag);
        Assert.Equal("dflare.ai/v1", (string?)createdBody["apiVersion"]);
        Assert.Equal("Tenant", (string?)createdBody["kind"]);
        Assert.Equal("shape", (string?)createdBody["metadata"]!["name"]);
        Assert.True(Guid.TryParse((string?)createdBody["metadata"]!["uid"], out _));
        Assert.Equal("1", (string?)createdBody["metadata"]!["resourceVersion"]);
        Assert.Equal("llm", (string?)createdBody["metadata"]!["labels"]!["team"]);
        Assert.NotNull(createdBody["metadata"]!["creationTimestamp"]);
        Assert.Equal("Shape Inc", (string?)createdBody["spec"]!["displayName"]);
        Assert.Equal("Active", (string?)createdBody["status"]!["phase"]);

        var read = await Client.GetAsync("/api/v1/tenants/shape", Ct);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(created.Headers.ETag, read.Headers.ETag);
        Assert.Equal(createdBody.ToJsonString(), (await read.ReadAsync()).ToJsonString());
    }

    [Fact]
    public async Task Get_WithCurrentETagInIfNoneMatch_Answers304()
    {
        var created = await Client.PostJsonAsync("/api/v1/tenants", Json.Tenant("cached"));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/tenants/cached");
        request.Headers.IfNoneMatch.Add(created.Headers.ETag!);

        var response = await Client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
    }

    [Fact]
    public async Task Replace_WithMatchingIfMatch_UpdatesAndBumpsVersion()
    {
        var created = await Client.PostJsonAsync("/api/v1/tenants", Json.Tenant("renamed", "Old"));

        var updated = await Client.PutJsonAsync("/api/v1/tenants/renamed", Json.Tenant("renamed", "New", """{"tier":"gold"}"""),
            r => r.Headers.IfMatch.Add(created.Headers.ETag!));
        var body = await updated.ReadAsync();

        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        Assert.Equal("New", (string?)body["spec"]!["displayName"]);
        Assert.Equal("gold", (string?)body["metadata"]!["labels"]!["tier"]);
        Assert.Null(body["metadata"]!["labels"]!["team"]);
        Assert.Equal("2", (string?)body["metadata"]!["resourceVersion"]);
        Assert.NotEqual(created.Headers.ETag, updated.Headers.ETag);
    }

    [Fact]
    public async Task Replace_WithNoChange_KeepsVersion()
    {
        var created = await Client.PostJsonAsync("/api/v1/tenants", Json.Tenant("steady", "Same"));

        var updated = await Client.PutJsonAsync("/api/v1/tenants/steady", Json.Tenant("steady", "Same"));

        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        Assert.Equal(created.Headers.ETag, updated.Headers.ETag);
    }

    [Fact]
    public async Task Replace_WithStaleIfMatch_Answers412AndChangesNothing()
    {
        var created = await Client.PostJsonAsync("/api/v1/tenants", Json.Tenant("stale", "Original"));
        await Client.PutJsonAsync("/api/v1/tenants/stale", Json.Tenant("stale", "Second"), r => r.Headers.IfMatch.Add(created.Headers.ETag!));

        var response = await Client.PutJsonAsync("/api/v1/tenants/stale", Json.Tenant("stale", "Third"), r => r.Headers.IfMatch.Add(created.Headers.ETag!));

        await response.AssertProblemAsync(412, "precondition-failed");
        var current = await (await Client.GetAsync("/api/v1/tenants/stale", Ct)).ReadAsync();
        Assert.Equal("Second", (string?)current["spec"]!["displayName"]);
    }

    [Fact]
    public async Task Replace_WithStaleResourceVersionInBody_Answers412()
    {
        await Client.PostJsonAsync("/api/v1/tenants", Json.Tenant("bodyversion"));
        await Client.PutJsonAsync("/api/v1/tenants/bodyversion", Json.Tenant("bodyversion", "v2"));

        var response = await Client.PutJsonAsync("/api/v1/tenants/bodyversion",
            """{"metadata":{"name":"bodyversion","resourceVersion":"1"},"spec":{"displayName":"v3"}}""");

        await response.AssertProblemAsync(412, "precondition-failed");
    }

    [Fact]
    public async Task Replace_WithMalformedIfMatch_Answers400()
    {
        await Client.PostJsonAsync("/api/v1/tenants", Json.Tenant("badtag"));

        var response = await Client.PutJsonAsync("/api/v1/tenants/badtag", Json.Tenant("badtag"),
            r => r.Headers.TryAddWithoutValidation("If-Match", "not-quoted"));

        await response.AssertProblemAsync(400, "invalid-precondition");
    }

    [Fact]
    public async Task Replace_WithOtherNameInBody_Answers422()
    {
        await Client.PostJsonAsync("/api/v1/tenants", Json.Tenant("fixedname"));

        var response = await Client.PutJsonAsync("/api/v1/tenants/fixedname", Json.Tenant("othername"));

        await response.AssertProblemAsync(422, "validation-failed", "metadata.name");
    }

    [Fact]
    public async Task TwoConcurrentUpdates_FromOneVersion_ExactlyOneWins()
    {
        var created = await Client.PostJsonAsync("/api/v1/tenants", Json.Tenant("raced", "Start"));
        var etag = created.Headers.ETag!;

        var responses = await Task.WhenAll(Enumerable.Range(0, 2).Select(i =>
            Client.PutJsonAsync("/api/v1/tenants/raced", Json.Tenant("raced", $"Writer {i}"), r => r.Headers.IfMatch.Add(etag))));

        var statuses = responses.Select(r => (int)r.StatusCode).Order().ToArray();
        Assert.Equal([200, 412], statuses);
        var loser = responses.Single(r => r.StatusCode == HttpStatusCode.PreconditionFailed);
        await loser.AssertProblemAsync(412, "precondition-failed");
        var winner = await responses.Single(r => r.StatusCode == HttpStatusCode.OK).ReadAsync();
        var current = await (await Client.GetAsync("/api/v1/tenants/raced", Ct)).ReadAsync();
        Assert.Equal((string?)winner["spec"]!["displayName"], (string?)current["spec"]!["displayName"]);
        Assert.Equal("2", (string?)current["metadata"]!["resourceVersion"]);
    }

    [Fact]
    public async Task Create_WithExistingName_Answers409()
    {
        await Client.PostJsonAsync("/api/v1/tenants", Json.Tenant("twice"));
        var before = await Server.CountRowsAsync();

        var response = await Client.PostJsonAsync("/api/v1/tenants", Json.Tenant("twice", "Other"));

        await response.AssertProblemAsync(409, "already-exists");
        Assert.Equal(before, await Server.CountRowsAsync());
    }

    [Fact]
    public async Task Delete_RemovesTenant_ThenGetAnswers404()
    {
        await Client.PostJsonAsync("/api/v1/tenants", Json.Tenant("gone"));

        var deleted = await Client.DeleteAsync("/api/v1/tenants/gone", Ct);
        var read = await Client.GetAsync("/api/v1/tenants/gone", Ct);

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        await read.AssertProblemAsync(404, "not-found");
    }

    [Fact]
    public async Task Delete_WithStaleIfMatch_Answers412AndKeepsTenant()
    {
        var created = await Client.PostJsonAsync("/api/v1/tenants", Json.Tenant("kept"));
        await Client.PutJsonAsync("/api/v1/tenants/kept", Json.Tenant("kept", "changed"));
        using var request = new HttpRequestMessage(HttpMethod.Delete, "/api/v1/tenants/kept");
        request.Headers.IfMatch.Add(created.Headers.ETag!);

        var response = await Client.SendAsync(request, Ct);

        await response.AssertProblemAsync(412, "precondition-failed");
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync("/api/v1/tenants/kept", Ct)).StatusCode);
    }

    [Fact]
    public async Task Projects_LiveInTheirTenant_SameNameAllowedAcrossTenants()
    {
        await Client.PostJsonAsync("/api/v1/tenants", Json.Tenant("org-one"));
        await Client.PostJsonAsync("/api/v1/tenants", Json.Tenant("org-two"));

        var one = await Client.PostJsonAsync("/api/v1/tenants/org-one/projects", Json.Project("research"));
        var two = await Client.PostJsonAsync("/api/v1/tenants/org-two/projects", Json.Project("research"));
        var again = await Client.PostJsonAsync("/api/v1/tenants/org-one/projects", Json.Project("research"));
        var list = await (await Client.GetAsync("/api/v1/tenants/org-one/projects", Ct)).ReadAsync();

        Assert.Equal(HttpStatusCode.Created, one.StatusCode);
        Assert.Equal(HttpStatusCode.Created, two.StatusCode);
        Assert.Equal("org-one", (string?)(await one.ReadAsync())["metadata"]!["tenant"]);
        Assert.Equal("/api/v1/tenants/org-one/projects/research", one.Headers.Location?.ToString());
        await again.AssertProblemAsync(409, "already-exists");
        Assert.Equal("ProjectList", (string?)list["kind"]);
        Assert.Single(list["items"]!.AsArray());
    }

    [Fact]
    public async Task Projects_OfMissingTenant_Answer404()
    {
        var list = await Client.GetAsync("/api/v1/tenants/nobody/projects", Ct);
        var create = await Client.PostJsonAsync("/api/v1/tenants/nobody/projects", Json.Project("p"));

        var body = await list.AssertProblemAsync(404, "not-found");
        Assert.Contains("nobody", (string?)body["detail"], StringComparison.Ordinal);
        await create.AssertProblemAsync(404, "not-found");
    }

    [Fact]
    public async Task DeleteTenant_WithProjects_Answers409_AfterProjectsGoneSucceeds()
    {
        await Client.PostJsonAsync("/api/v1/tenants", Json.Tenant("parent"));
        await Client.PostJsonAsync("/api/v1/tenants/parent/projects", Json.Project("child"));

        var refused = await Client.DeleteAsync("/api/v1/tenants/parent", Ct);
        var projectDeleted = await Client.DeleteAsync("/api/v1/tenants/parent/projects/child", Ct);
        var tenantDeleted = await Client.DeleteAsync("/api/v1/tenants/parent", Ct);

        await refused.AssertProblemAsync(409, "has-dependents");
        Assert.Equal(HttpStatusCode.NoContent, projectDeleted.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, tenantDeleted.StatusCode);
    }

    [Fact]
    public async Task ProjectBody_NamingAnotherTenant_Answers422()
    {
        await Client.PostJsonAsync("/api/v1/tenants", Json.Tenant("home"));

        var response = await Client.PostJsonAsync("/api/v1/tenants/home/projects",
            """{"metadata":{"name":"p","tenant":"elsewhere"},"spec":{}}""");

        await response.AssertProblemAsync(422, "validation-failed", "metadata.tenant");
    }
}

public sealed class SqliteTenancyApiTests(SqliteServerFixture fixture) : TenancyApiTests(fixture), IClassFixture<SqliteServerFixture>;

public sealed class PostgresTenancyApiTests(PostgresServerFixture fixture) : TenancyApiTests(fixture), IClassFixture<PostgresServerFixture>;
