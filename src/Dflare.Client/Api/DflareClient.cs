using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dflare.Client.Identity;

namespace Dflare.Client.Api;

/// <summary>An answer of the API: status, body (null when empty) and headers.</summary>
public sealed record ApiResponse(int Status, JsonNode? Body, HttpResponseHeaders Headers);

/// <summary>
/// The Dflare REST API over one <see cref="HttpClient"/>: paths are relative to <c>/api/v1/</c>
/// (<c>tenants/acme/clusters</c>). Every refusal becomes a <see cref="DflareApiException"/> carrying the problem
/// document. A 401 is retried once with a refreshed token; a 429 waits the <c>Retry-After</c> the server names (at
/// most three times). Lists are followed page by page through <c>metadata.continue</c>.
/// </summary>
public sealed class DflareClient(HttpClient http, ICredential? credential, TimeProvider? time = null)
{
    public const string ApiPrefix = "api/v1/";
    private const int MaxRateLimitWaits = 3;
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public HttpClient Http => http;

    public Uri BaseAddress => http.BaseAddress ?? throw new InvalidOperationException("The HttpClient needs a BaseAddress.");

    public async Task<JsonObject> GetAsync(string path, CancellationToken cancellationToken) =>
        Object(await SendAsync(HttpMethod.Get, path, null, null, cancellationToken));

    /// <summary>Every item of a list, fetching the next page only when the caller gets there.</summary>
    public async IAsyncEnumerable<JsonObject> ListAsync(string path, IReadOnlyDictionary<string, string?>? query, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? next = null;
        do
        {
            var parameters = new Dictionary<string, string?>(query ?? new Dictionary<string, string?>()) { ["continue"] = next };
            var page = Object(await SendAsync(HttpMethod.Get, WithQuery(path, parameters), null, null, cancellationToken));
            foreach (var item in (page["items"] as JsonArray ?? []).OfType<JsonObject>())
            {
                yield return item;
            }
            next = page["metadata"]?["continue"]?.GetValue<string>();
        }
        while (next is not null);
    }

    /// <summary>POSTs a new object; <paramref name="idempotencyKey"/> makes a retried create answer the first answer.</summary>
    public async Task<JsonObject> CreateAsync(string collectionPath, JsonNode body, string? idempotencyKey, CancellationToken cancellationToken)
    {
        var headers = idempotencyKey is null ? null : new Dictionary<string, string> { ["Idempotency-Key"] = idempotencyKey };
        return Object(await SendAsync(HttpMethod.Post, collectionPath, body, headers, cancellationToken));
    }

    /// <summary>PUTs the whole object; its <c>metadata.resourceVersion</c>, when present, is the precondition.</summary>
    public async Task<JsonObject> ReplaceAsync(string objectPath, JsonNode body, CancellationToken cancellationToken) =>
        Object(await SendAsync(HttpMethod.Put, objectPath, body, null, cancellationToken));

    /// <summary>Deletes; answers the operation that does it (clusters, volumes, networks) or null when it is done.</summary>
    public async Task<JsonObject?> DeleteAsync(string objectPath, CancellationToken cancellationToken) =>
        (await SendAsync(HttpMethod.Delete, objectPath, null, null, cancellationToken)).Body as JsonObject;

    public async Task<ApiResponse> SendAsync(HttpMethod method, string path, JsonNode? body, IReadOnlyDictionary<string, string>? headers, CancellationToken cancellationToken)
    {
        var (status, text, responseHeaders) = await ExchangeAsync(method, path, body, headers, cancellationToken);
        return new ApiResponse(status, Parse(text), responseHeaders);
    }

    /// <summary>GETs what is not JSON (an invoice as CSV, a kubeconfig), as text.</summary>
    public async Task<string> GetTextAsync(string path, CancellationToken cancellationToken) =>
        (await ExchangeAsync(HttpMethod.Get, path, null, null, cancellationToken)).Text;

    private async Task<(int Status, string Text, HttpResponseHeaders Headers)> ExchangeAsync(
        HttpMethod method, string path, JsonNode? body, IReadOnlyDictionary<string, string>? headers, CancellationToken cancellationToken)
    {
        var refreshed = false;
        for (var waits = 0; ; waits++)
        {
            using var request = new HttpRequestMessage(method, path.StartsWith('/') ? path : ApiPrefix + path);
            if (credential is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await credential.TokenAsync(http, refreshed, cancellationToken));
            }
            foreach (var (name, value) in headers ?? new Dictionary<string, string>())
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
            if (body is not null)
            {
                request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
            }
            using var response = await http.SendAsync(request, cancellationToken);
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (response.StatusCode == HttpStatusCode.Unauthorized && credential is not null && !refreshed)
            {
                refreshed = true;
                continue;
            }
            if (response.StatusCode == HttpStatusCode.TooManyRequests && waits < MaxRateLimitWaits)
            {
                var delay = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
                await Task.Delay(delay < TimeSpan.FromSeconds(30) ? delay : TimeSpan.FromSeconds(30), _time, cancellationToken);
                continue;
            }
            if (!response.IsSuccessStatusCode)
            {
                throw new DflareApiException(ApiProblem.From((int)response.StatusCode, Parse(text), text));
            }
            return ((int)response.StatusCode, text, response.Headers);
        }
    }

    public static string WithQuery(string path, IReadOnlyDictionary<string, string?> query)
    {
        var parts = query.Where(p => p.Value is not null).Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value!)}").ToList();
        return parts.Count == 0 ? path : path + (path.Contains('?', StringComparison.Ordinal) ? "&" : "?") + string.Join('&', parts);
    }

    private static JsonNode? Parse(string text)
    {
        if (text.Length == 0)
        {
            return null;
        }
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static JsonObject Object(ApiResponse response) =>
        response.Body as JsonObject ?? throw new DflareApiException(new ApiProblem(response.Status, "unexpected-answer", "The server's answer is not a JSON object.", null, [], null));
}
