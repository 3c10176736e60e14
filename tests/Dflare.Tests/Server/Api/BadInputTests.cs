using System.Net;
using System.Text;
using Dflare.Tests.Infrastructure;

namespace Dflare.Tests.Server.Api;

/// <summary>Every kind of bad input answers a precise problem document and writes nothing.</summary>
public abstract class BadInputTests(ServerFixture fixture)
{
    private TestServer Server => fixture.Server;

    private HttpClient Client => Server.Client;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<HttpResponseMessage> PostRefusedAsync(string json, Action<HttpRequestMessage>? configure = null)
    {
        var before = await Server.CountRowsAsync();
        var response = await Client.PostJsonAsync("/api/v1/tenants", json, configure);
        Assert.Equal(before, await Server.CountRowsAsync());
        return response;
    }

    [Fact]
    public async Task MalformedJson_Answers400WithPosition()
    {
        var response = await PostRefusedAsync("""{"metadata":{"name":"x"},"spec":{""");

        var body = await response.AssertProblemAsync(400, "malformed-json");
        Assert.StartsWith("Line 1, byte", (string?)body["detail"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task JsonThatIsNotAnObject_Answers400()
    {
        var response = await PostRefusedAsync("[1,2]");

        await response.AssertProblemAsync(400, "malformed-json");
    }

    [Fact]
    public async Task UnknownFields_Answer400NamingEveryPath()
    {
        var response = await PostRefusedAsync("""{"metadata":{"name":"unknowns","nmae":"x"},"spec":{"displayName":"x","gpus":8},"extra":true}""");

        var body = await response.AssertProblemAsync(400, "unknown-field", "metadata.nmae");
        var fields = body["errors"]!.AsArray().Select(e => (string)e!["field"]!).Order().ToArray();
        Assert.Equal(["extra", "metadata.nmae", "spec.gpus"], fields);
        Assert.All(body["errors"]!.AsArray(), e => Assert.Equal("unknown-field", (string?)e!["code"]));
    }

    [Fact]
    public async Task FieldNamesAreCaseSensitive()
    {
        var response = await PostRefusedAsync("""{"Metadata":{"name":"casing"},"spec":{}}""");

        await response.AssertProblemAsync(400, "unknown-field", "Metadata");
    }

    [Fact]
    public async Task WrongJsonType_Answers422WithPath()
    {
        var response = await PostRefusedAsync("""{"metadata":{"name":"types"},"spec":{"displayName":42}}""");

        var body = await response.AssertProblemAsync(422, "validation-failed", "spec.displayName");
        Assert.Equal("invalid-type", (string?)body["errors"]![0]!["code"]);
    }

    [Fact]
    public async Task MissingRequiredFields_Answer422ListingEach()
    {
        var response = await PostRefusedAsync("""{"metadata":{"labels":{}}}""");

        var body = await response.AssertProblemAsync(422, "validation-failed", "metadata.name");
        var errors = body["errors"]!.AsArray().Select(e => $"{e!["field"]}:{e["code"]}").Order().ToArray();
        Assert.Equal(["metadata.name:required", "spec:required"], errors);
    }

    [Fact]
    public async Task MissingMetadata_Answers422()
    {
        var response = await PostRefusedAsync("""{"spec":{}}""");

        await response.AssertProblemAsync(422, "validation-failed", "metadata");
    }

    [Fact]
    public async Task OverlongName_Answers422TooLong()
    {
        var response = await PostRefusedAsync(Json.Tenant(new string('a', 64)));

        var body = await response.AssertProblemAsync(422, "validation-failed", "metadata.name");
        Assert.Equal("too-long", (string?)body["errors"]![0]!["code"]);
    }

    [Theory]
    [InlineData("Upper")]
    [InlineData("under_score")]
    [InlineData("-leading")]
    [InlineData("trailing-")]
    [InlineData("dot.ted")]
    [InlineData("sp ace")]
    public async Task InvalidName_Answers422InvalidFormat(string name)
    {
        var response = await PostRefusedAsync(Json.Tenant(name));

        var body = await response.AssertProblemAsync(422, "validation-failed", "metadata.name");
        Assert.Equal("invalid-format", (string?)body["errors"]![0]!["code"]);
    }

    [Fact]
    public async Task ReservedName_Answers422Reserved()
    {
        var response = await PostRefusedAsync(Json.Tenant("platform"));

        var body = await response.AssertProblemAsync(422, "validation-failed", "metadata.name");
        Assert.Equal("reserved", (string?)body["errors"]![0]!["code"]);
    }

    [Fact]
    public async Task InvalidLabelsAndEmail_Answer422ForEachField()
    {
        var response = await PostRefusedAsync(
            """{"metadata":{"name":"labelled","labels":{"bad key!":"v","ok":"-bad-value"}},"spec":{"contactEmail":"not-an-email"}}""");

        var body = await response.AssertProblemAsync(422, "validation-failed", "spec.contactEmail");
        var fields = body["errors"]!.AsArray().Select(e => (string?)e!["field"]).ToArray();
        Assert.Contains("metadata.labels[\"bad key!\"]", fields);
        Assert.Contains("metadata.labels[\"ok\"]", fields);
    }

    [Fact]
    public async Task WrongKindOrApiVersion_Answers422()
    {
        var response = await PostRefusedAsync("""{"apiVersion":"v2","kind":"Cluster","metadata":{"name":"kinds"},"spec":{}}""");

        var body = await response.AssertProblemAsync(422, "validation-failed", "kind");
        Assert.Contains("apiVersion", body["errors"]!.AsArray().Select(e => (string?)e!["field"]));
    }

    [Fact]
    public async Task ControlCharactersInText_Answer422()
    {
        var response = await PostRefusedAsync("""{"metadata":{"name":"ctl"},"spec":{"displayName":"bell\u0007"}}""");

        await response.AssertProblemAsync(422, "validation-failed", "spec.displayName");
    }

    [Fact]
    public async Task NonJsonContentType_Answers415()
    {
        var before = await Server.CountRowsAsync();
        using var content = new StringContent(Json.Tenant("texty"), Encoding.UTF8, "text/plain");

        var response = await Client.PostAsync("/api/v1/tenants", content, Ct);

        await response.AssertProblemAsync(415, "unsupported-media-type");
        Assert.Equal(before, await Server.CountRowsAsync());
    }

    [Fact]
    public async Task OversizedBody_Answers413()
    {
        var big = Json.Tenant("big", new string('x', 16 * 1024));

        var response = await PostRefusedAsync(big);

        var body = await response.AssertProblemAsync(413, "payload-too-large");
        Assert.Contains("8192", (string?)body["detail"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task OversizedChunkedBody_Answers413()
    {
        var before = await Server.CountRowsAsync();
        using var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(Json.Tenant("chunked", new string('x', 16 * 1024)))));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/tenants") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        var response = await Client.SendAsync(request, Ct);

        await response.AssertProblemAsync(413, "payload-too-large");
        Assert.Equal(before, await Server.CountRowsAsync());
    }

    [Fact]
    public async Task ReusedIdempotencyKey_WithOtherBody_Answers422AndWritesNothing()
    {
        var first = await Client.PostJsonAsync("/api/v1/tenants", Json.Tenant("keyed-first"), r => r.Headers.Add("Idempotency-Key", "key-reuse-1"));
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);

        var response = await PostRefusedAsync(Json.Tenant("keyed-second"), r => r.Headers.Add("Idempotency-Key", "key-reuse-1"));

        await response.AssertProblemAsync(422, "idempotency-key-reused");
        Assert.Equal(HttpStatusCode.NotFound, (await Client.GetAsync("/api/v1/tenants/keyed-second", Ct)).StatusCode);
    }

    [Fact]
    public async Task InvalidIdempotencyKey_Answers400()
    {
        var response = await PostRefusedAsync(Json.Tenant("badkey"), r => r.Headers.Add("Idempotency-Key", new string('k', 300)));

        await response.AssertProblemAsync(400, "invalid-idempotency-key");
    }

    [Fact]
    public async Task PageSizePastTheCap_Answers400WithField()
    {
        var response = await Client.GetAsync("/api/v1/tenants?limit=501", Ct);

        await response.AssertProblemAsync(400, "page-size-too-large", "limit");
    }

    [Theory]
    [InlineData("limit=0", "invalid-query", "limit")]
    [InlineData("limit=abc", "invalid-query", "limit")]
    [InlineData("limit=-1", "invalid-query", "limit")]
    [InlineData("continue=%21%21", "invalid-cursor", "continue")]
    [InlineData("continue=bm90LW91cnM", "invalid-cursor", "continue")]
    [InlineData("lmit=5", "invalid-query", "lmit")]
    public async Task BadListQuery_Answers400WithField(string query, string code, string field)
    {
        var response = await Client.GetAsync($"/api/v1/tenants?{query}", Ct);

        await response.AssertProblemAsync(400, code, field);
    }

    [Fact]
    public async Task UnknownRoute_AnswersProblem()
    {
        var response = await Client.GetAsync("/api/v1/nothing-here", Ct);

        await response.AssertProblemAsync(404, "route-not-found");
    }

    [Fact]
    public async Task WrongMethod_Answers405Problem()
    {
        var response = await Client.PatchAsync("/api/v1/tenants", Json.Body("{}"), Ct);

        await response.AssertProblemAsync(405, "method-not-allowed");
    }
}

public sealed class SqliteBadInputTests(SqliteServerFixture fixture) : BadInputTests(fixture), IClassFixture<SqliteServerFixture>;

public sealed class PostgresBadInputTests(PostgresServerFixture fixture) : BadInputTests(fixture), IClassFixture<PostgresServerFixture>;
