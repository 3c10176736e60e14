using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Dflare.Tests.Infrastructure;

/// <summary>Small HTTP helpers: tests send and read raw JSON, as a client in another language would.</summary>
public static class Json
{
    public static StringContent Body(string json) => new(json, Encoding.UTF8, "application/json");

    public static StringContent Body(object value) => Body(JsonSerializer.Serialize(value));

    public static async Task<JsonNode> ReadAsync(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return JsonNode.Parse(text) ?? throw new InvalidOperationException("empty body");
    }

    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string path, string json, Action<HttpRequestMessage>? configure = null) =>
        SendJsonAsync(client, HttpMethod.Post, path, json, configure);

    public static Task<HttpResponseMessage> PutJsonAsync(this HttpClient client, string path, string json, Action<HttpRequestMessage>? configure = null) =>
        SendJsonAsync(client, HttpMethod.Put, path, json, configure);

    public static async Task<HttpResponseMessage> SendJsonAsync(HttpClient client, HttpMethod method, string path, string json, Action<HttpRequestMessage>? configure)
    {
        using var request = new HttpRequestMessage(method, path) { Content = Body(json) };
        configure?.Invoke(request);
        return await client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    public static string Tenant(string name, string displayName = "A tenant", string labels = "{}") =>
        $$$"""{"apiVersion":"dflare.ai/v1","kind":"Tenant","metadata":{"name":"{{{name}}}","labels":{{{labels}}}},"spec":{"displayName":"{{{displayName}}}"}}""";

    public static string Project(string name, string displayName = "A project") =>
        $$$"""{"metadata":{"name":"{{{name}}}"},"spec":{"displayName":"{{{displayName}}}"}}""";

    /// <summary>Asserts a problem document: status, code and, when given, the field path of its first error.</summary>
    public static async Task<JsonNode> AssertProblemAsync(this HttpResponseMessage response, int status, string code, string? field = null)
    {
        var body = await response.ReadAsync();
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(code, (string?)body["code"]);
        Assert.Equal($"urn:dflare:problem:{code}", (string?)body["type"]);
        Assert.Equal(status, (int?)body["status"]);
        Assert.False(string.IsNullOrEmpty((string?)body["title"]));
        Assert.False(string.IsNullOrEmpty((string?)body["correlationId"]));
        if (field is not null)
        {
            var fields = body["errors"]!.AsArray().Select(e => (string?)e!["field"]).ToList();
            Assert.Contains(field, fields);
        }
        return body;
    }
}
