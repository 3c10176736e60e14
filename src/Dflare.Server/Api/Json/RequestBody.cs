using System.Security.Cryptography;
using System.Text.Json;
using Dflare.Client.Specs;
using Dflare.Core.Resources;
using Dflare.Server.Api.Problems;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Dflare.Server.Api.Json;

/// <summary>A request body read, parsed and checked for unknown fields; or the problem that stopped it.</summary>
public sealed record RequestBody<T>(T? Value, string Sha256, IResult? Problem) where T : class;

/// <summary>
/// Reads JSON bodies the one strict way: size-limited (Kestrel's limit, 413), well-formed (400 malformed-json with
/// line and byte), no unknown fields (400 unknown-field, every one by path), right types (422 invalid-type).
/// </summary>
public static class RequestBodies
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = ApiJson.MaxDepth };

    public static async Task<RequestBody<T>> ReadAsync<T>(HttpContext http, CancellationToken cancellationToken) where T : class
    {
        var yaml = IsYaml(http.Request.ContentType);
        if (!yaml && !http.Request.HasJsonContentType())
        {
            return Fail<T>(Problem.Of(StatusCodes.Status415UnsupportedMediaType, ProblemCodes.UnsupportedMediaType,
                "The body must be JSON or YAML.", $"Send Content-Type: application/json or application/yaml; got '{http.Request.ContentType ?? "none"}'."));
        }
        byte[] bytes;
        try
        {
            using var buffer = new MemoryStream();
            await http.Request.Body.CopyToAsync(buffer, cancellationToken);
            bytes = buffer.ToArray();
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Fail<T>(TooLarge(http));
        }
        if (yaml)
        {
            try
            {
                bytes = System.Text.Encoding.UTF8.GetBytes(YamlDocuments.ToJson(System.Text.Encoding.UTF8.GetString(bytes))?.ToJsonString() ?? "null");
            }
            catch (YamlDotNet.Core.YamlException ex)
            {
                return Fail<T>(Problem.Of(StatusCodes.Status400BadRequest, ProblemCodes.MalformedJson, "The body is not well-formed YAML.",
                    $"Line {ex.Start.Line}, column {ex.Start.Column}: {FirstSentence(ex.Message)}"));
            }
        }
        var hash = Convert.ToHexStringLower(SHA256.HashData(bytes));
        var options = http.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes, DocumentOptions);
        }
        catch (JsonException ex)
        {
            return Fail<T>(Problem.Of(StatusCodes.Status400BadRequest, ProblemCodes.MalformedJson, "The body is not well-formed JSON.",
                $"Line {(ex.LineNumber ?? 0) + 1}, byte {(ex.BytePositionInLine ?? 0) + 1}: {FirstSentence(ex.Message)}"));
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return Fail<T>(Problem.Of(StatusCodes.Status400BadRequest, ProblemCodes.MalformedJson, "The body must be a JSON object.",
                    $"Got a JSON {document.RootElement.ValueKind.ToString().ToLowerInvariant()}."));
            }
            var unknown = UnknownFields.Find(document.RootElement, options.GetTypeInfo(typeof(T)));
            if (unknown.Count > 0)
            {
                return Fail<T>(Problem.Of(StatusCodes.Status400BadRequest, ProblemCodes.UnknownField, "The body has fields this API does not know.",
                    string.Join(" ", unknown.Select(e => e.Message)), unknown));
            }
            try
            {
                var value = document.RootElement.Deserialize<T>(options);
                return new RequestBody<T>(value, hash, null);
            }
            catch (JsonException ex)
            {
                var field = ex.Path is { Length: > 2 } p ? p[2..] : "";
                var error = new FieldError(field, FieldErrorCodes.InvalidType, $"'{field}' has a value of the wrong JSON type.");
                return Fail<T>(Problem.Validation([error]));
            }
        }
    }

    /// <summary>application/yaml (RFC 9512), and the older names clients still send.</summary>
    private static bool IsYaml(string? contentType) =>
        contentType is not null && Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var media)
        && media.MediaType.Value is "application/yaml" or "application/x-yaml" or "text/yaml";

    private static IResult TooLarge(HttpContext http)
    {
        var limit = http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize;
        return Problem.Of(StatusCodes.Status413PayloadTooLarge, ProblemCodes.PayloadTooLarge, "The body is too large.",
            limit is null ? null : $"The limit is {limit} bytes (Server:MaxRequestBodyBytes).");
    }

    private static RequestBody<T> Fail<T>(IResult problem) where T : class => new(null, "", problem);

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end < 0 ? message.TrimEnd('.') + "." : message[..(end + 1)];
    }
}
