using System.Net;
using Dflare.Tests.Infrastructure;

namespace Dflare.Tests.Server.Api;

public abstract class IdempotencyAndPagingTests(ServerFixture fixture)
{
    private HttpClient Client => fixture.Server.Client;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SameKeyAndBody_ReplaysFirstResponse_AndCreatesOnce()
    {
        var body = Json.Tenant("replayed", "Replay");
        var first = await Client.PostJsonAsync("/api/v1/tenants", body, r => r.Headers.Add("Idempotency-Key", "replay-1"));
        var second = await Client.PostJsonAsync("/api/v1/tenants", body, r => r.Headers.Add("Idempotency-Key", "replay-1"));

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        Assert.Equal(first.Headers.Location, second.Headers.Location);
        Assert.Equal(first.Headers.ETag, second.Headers.ETag);
        Assert.Equal((await first.ReadAsync()).ToJsonString(), (await second.ReadAsync()).ToJsonString());
        Assert.True(second.Headers.Contains("Idempotent-Replayed"));
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));
    }

    [Fact]
    public async Task ConcurrentRetries_WithOneKey_AllAnswerTheSameObject()
    {
        var body = Json.Tenant("concurrent-key");

        var responses = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ =>
            Client.PostJsonAsync("/api/v1/tenants", body, r => r.Headers.Add("Idempotency-Key", "concurrent-1"))));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        var uids = await Task.WhenAll(responses.Select(async r => (string?)(await r.ReadAsync())["metadata"]!["uid"]));
        Assert.Single(uids.Distinct());
    }

    [Fact]
    public async Task SameKey_OnAnotherCollection_IsIndependent()
    {
        await Client.PostJsonAsync("/api/v1/tenants", Json.Tenant("keyspace"));

        var tenant = await Client.PostJsonAsync("/api/v1/tenants", Json.Tenant("keyspace-2"), r => r.Headers.Add("Idempotency-Key", "shared-key"));
        var project = await Client.PostJsonAsync("/api/v1/tenants/keyspace/projects", Json.Project("p"), r => r.Headers.Add("Idempotency-Key", "shared-key"));

        Assert.Equal(HttpStatusCode.Created, tenant.StatusCode);
        Assert.Equal(HttpStatusCode.Created, project.StatusCode);
    }

    [Fact]
    public async Task List_WalksEveryPageInNameOrder()
    {
        await Client.PostJsonAsync("/api/v1/tenants", Json.Tenant("pager"));
        string[] names = ["p-5", "p-1", "p-7", "p-3", "p-2", "p-6", "p-4"];
        foreach (var name in names)
        {
            Assert.Equal(HttpStatusCode.Created, (await Client.PostJsonAsync("/api/v1/tenants/pager/projects", Json.Project(name))).StatusCode);
        }

        var seen = new List<string>();
        var pages = 0;
        string? next = null;
        do
        {
            var query = next is null ? "limit=3" : $"limit=3&continue={Uri.EscapeDataString(next)}";
            var page = await (await Client.GetAsync($"/api/v1/tenants/pager/projects?{query}", Ct)).ReadAsync();
            seen.AddRange(page["items"]!.AsArray().Select(i => (string)i!["metadata"]!["name"]!));
            next = (string?)page["metadata"]!["continue"];
            pages++;
        }
        while (next is not null);

        Assert.Equal(3, pages);
        Assert.Equal(names.Order(StringComparer.Ordinal), seen);
    }

    [Fact]
    public async Task List_ExactlyFullPage_HasNoContinue()
    {
        await Client.PostJsonAsync("/api/v1/tenants", Json.Tenant("exact"));
        await Client.PostJsonAsync("/api/v1/tenants/exact/projects", Json.Project("a"));
        await Client.PostJsonAsync("/api/v1/tenants/exact/projects", Json.Project("b"));

        var page = await (await Client.GetAsync("/api/v1/tenants/exact/projects?limit=2", Ct)).ReadAsync();

        Assert.Equal(2, page["items"]!.AsArray().Count);
        Assert.Null(page["metadata"]!["continue"]);
    }

    [Fact]
    public async Task List_WithLabelSelector_ReturnsOnlyMatches_AcrossPages()
    {
        await Client.PostJsonAsync("/api/v1/tenants", Json.Tenant("labelled"));
        for (var i = 0; i < 9; i++)
        {
            var parity = i % 2 == 0 ? "even" : "odd";
            var body = $$$"""{"metadata":{"name":"l-{{{i}}}","labels":{"parity":"{{{parity}}}"}},"spec":{}}""";
            Assert.Equal(HttpStatusCode.Created, (await Client.PostJsonAsync("/api/v1/tenants/labelled/projects", body)).StatusCode);
        }

        var seen = new List<string>();
        string? next = null;
        do
        {
            var query = "labelSelector=" + Uri.EscapeDataString("parity=even") + "&limit=2" + (next is null ? "" : $"&continue={Uri.EscapeDataString(next)}");
            var page = await (await Client.GetAsync($"/api/v1/tenants/labelled/projects?{query}", Ct)).ReadAsync();
            seen.AddRange(page["items"]!.AsArray().Select(i => (string)i!["metadata"]!["name"]!));
            next = (string?)page["metadata"]!["continue"];
        }
        while (next is not null);
        var notIn = await (await Client.GetAsync("/api/v1/tenants/labelled/projects?labelSelector=" + Uri.EscapeDataString("parity notin (even)"), Ct)).ReadAsync();
        var bad = await Client.GetAsync("/api/v1/tenants/labelled/projects?labelSelector=" + Uri.EscapeDataString("parity in even"), Ct);

        Assert.Equal(["l-0", "l-2", "l-4", "l-6", "l-8"], seen);
        Assert.Equal(["l-1", "l-3", "l-5", "l-7"], notIn["items"]!.AsArray().Select(i => (string)i!["metadata"]!["name"]!));
        await bad.AssertProblemAsync(400, "invalid-query", "labelSelector");
    }
}

public sealed class SqliteIdempotencyAndPagingTests(SqliteServerFixture fixture) : IdempotencyAndPagingTests(fixture), IClassFixture<SqliteServerFixture>;

public sealed class PostgresIdempotencyAndPagingTests(PostgresServerFixture fixture) : IdempotencyAndPagingTests(fixture), IClassFixture<PostgresServerFixture>;
