using System.Text.Json.Nodes;

namespace Dflare.Client.Api;

/// <summary>One field the server refused: its path (<c>spec.pools[0].count</c>), a stable code and a message.</summary>
public sealed record FieldProblem(string Field, string Code, string Message);

/// <summary>
/// An RFC 9457 problem document as Dflare answers it: a stable <see cref="Code"/> to match on, the HTTP status, a title
/// and detail for people, and the offending fields. Answers that are not problem documents (a proxy's HTML page, an
/// OAuth error) are read into the same shape so callers handle one thing.
/// </summary>
public sealed record ApiProblem(int Status, string Code, string Title, string? Detail, IReadOnlyList<FieldProblem> Errors, string? CorrelationId)
{
    /// <summary>Reads a problem document, an OAuth error (<c>error</c>, <c>error_description</c>) or any other answer.</summary>
    public static ApiProblem From(int status, JsonNode? body, string? fallbackText = null)
    {
        if (body is JsonObject o && Text(o, "code") is { } code)
        {
            var errors = (o["errors"] as JsonArray)?.OfType<JsonObject>()
                .Select(e => new FieldProblem(Text(e, "field") ?? "", Text(e, "code") ?? "", Text(e, "message") ?? "")).ToList() ?? [];
            return new ApiProblem(status, code, Text(o, "title") ?? code, Text(o, "detail"), errors, Text(o, "correlationId"));
        }
        if (body is JsonObject oauth && Text(oauth, "error") is { } error)
        {
            return new ApiProblem(status, error, error, Text(oauth, "error_description"), [], null);
        }
        var snippet = fallbackText is { Length: > 0 } t ? (t.Length > 200 ? t[..200] + "…" : t).ReplaceLineEndings(" ") : null;
        return new ApiProblem(status, $"http-{status}", $"The server answered {status}.", snippet, [], null);
    }

    /// <summary>One line for a terminal: the detail (or title) and the code.</summary>
    public override string ToString() => $"{Detail ?? Title} ({Code})";

    private static string? Text(JsonObject o, string name) => o[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
