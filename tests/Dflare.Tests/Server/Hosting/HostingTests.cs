using System.Net;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Dflare.Tests.Infrastructure;

namespace Dflare.Tests.Server.Hosting;

/// <summary>What every operator and client meets first: health, readiness, authentication, OpenAPI, metrics, correlation.</summary>
public sealed class HostingTests(SqliteServerFixture fixture) : IClassFixture<SqliteServerFixture>
{
    private TestServer Server => fixture.Server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Healthz_WithoutCredential_AnswersHealthy()
    {
        var response = await Server.Anonymous.GetAsync("/healthz", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", (string?)(await response.ReadAsync())["status"]);
    }

    [Fact]
    public async Task Readyz_WithCurrentSchema_AnswersHealthyStoreCheck()
    {
        var response = await Server.Anonymous.GetAsync("/readyz", Ct);
        var body = await response.ReadAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", (string?)body["checks"]!["store"]!["status"]);
    }

    [Fact]
    public async Task Api_WithoutCredential_Answers401ProblemWithChallenge()
    {
        var response = await Server.Anonymous.GetAsync("/api/v1/tenants", Ct);

        await response.AssertProblemAsync(401, "unauthenticated");
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task Api_WithWrongCredential_Answers401()
    {
        using var client = Server.CreateClient("dfl_wrong");

        var response = await client.GetAsync("/api/v1/tenants", Ct);

        await response.AssertProblemAsync(401, "unauthenticated");
    }

    [Fact]
    public async Task Api_WithWrongCredential_OnUnknownRoute_StillAnswers401()
    {
        var response = await Server.Anonymous.GetAsync("/api/v1/secret-route", Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task OpenApiDocument_IsOpenApi3_AndDescribesTheResources()
    {
        var response = await Server.Anonymous.GetAsync("/openapi/v1.json", Ct);
        var document = await response.ReadAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("3.", (string?)document["openapi"], StringComparison.Ordinal);
        Assert.Equal("Dflare API", (string?)document["info"]!["title"]);
        var paths = document["paths"]!.AsObject();
        Assert.NotNull(paths["/api/v1/tenants"]!["get"]);
        Assert.NotNull(paths["/api/v1/tenants"]!["post"]);
        Assert.NotNull(paths["/api/v1/tenants/{name}"]!["put"]);
        Assert.NotNull(paths["/api/v1/tenants/{name}"]!["delete"]);
        Assert.NotNull(paths["/api/v1/tenants/{tenant}/projects"]!["post"]);
        Assert.Equal("createTenant", (string?)paths["/api/v1/tenants"]!["post"]!["operationId"]);
        Assert.Equal("bearer", (string?)document["components"]!["securitySchemes"]!["bearer"]!["scheme"]);
    }

    [Fact]
    public void EveryApiEndpoint_RequiresAuthorization()
    {
        var endpoints = Server.Server.App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/v1", StringComparison.Ordinal) == true)
            .ToList();

        Assert.NotEmpty(endpoints);
        Assert.All(endpoints, e =>
        {
            Assert.NotEmpty(e.Metadata.GetOrderedMetadata<IAuthorizeData>());
            Assert.Null(e.Metadata.GetMetadata<IAllowAnonymous>());
        });
    }

    [Fact]
    public async Task ApiReference_IsServedWithItsOwnScript_NoExternalAssets()
    {
        var page = await Server.Anonymous.GetAsync("/api/reference/", Ct);
        var html = await page.Content.ReadAsStringAsync(Ct);
        var script = await Server.Anonymous.GetAsync("/api/reference/scalar.js", Ct);

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("Dflare API reference", html, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
    }

    [Fact]
    public async Task Metrics_ArePrometheusText_AndCountProblemsByCode()
    {
        await Server.Client.GetAsync("/api/v1/tenants/metric-missing", Ct);

        var response = await Server.Anonymous.GetAsync("/metrics", Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("http_request_duration_seconds_bucket", text, StringComparison.Ordinal);
        Assert.Contains("dflare_api_problems_total{code=\"not-found\",status=\"404\"}", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CorrelationId_FromCaller_IsEchoedAndInProblem()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/tenants/corr-missing");
        request.Headers.Add("X-Correlation-Id", "req-42.abc");

        var response = await Server.Client.SendAsync(request, Ct);
        var body = await response.AssertProblemAsync(404, "not-found");

        Assert.Equal("req-42.abc", response.Headers.GetValues("X-Correlation-Id").Single());
        Assert.Equal("req-42.abc", (string?)body["correlationId"]);
        Assert.Equal("/api/v1/tenants/corr-missing", (string?)body["instance"]);
    }

    [Fact]
    public async Task CorrelationId_Unsafe_IsReplaced()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/healthz");
        request.Headers.TryAddWithoutValidation("X-Correlation-Id", "bad id <script>");

        var response = await Server.Anonymous.SendAsync(request, Ct);
        var id = response.Headers.GetValues("X-Correlation-Id").Single();

        Assert.NotEqual("bad id <script>", id);
        Assert.Matches("^[0-9a-f]{32}$", id);
    }
}
