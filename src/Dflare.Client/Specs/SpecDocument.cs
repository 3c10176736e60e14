using System.Text.Json.Nodes;

namespace Dflare.Client.Specs;

/// <summary>One document of a spec file: its JSON, the line it starts on (1-based), and the line of each field path.</summary>
public sealed record SpecDocument(JsonNode? Body, int Line, IReadOnlyDictionary<string, int> Lines)
{
    public string? Kind => (Body as JsonObject)?["kind"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public string? Name => (Body as JsonObject)?["metadata"]?["name"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    /// <summary>The line of <paramref name="path"/> (as the API names fields: <c>spec.pools[0].count</c>), or of its
    /// nearest parent that the file has (a missing field is reported where its parent is); the document's first line
    /// when nothing matches.</summary>
    public int LineOf(string? path)
    {
        for (var p = path; !string.IsNullOrEmpty(p); p = SpecPaths.Parent(p))
        {
            if (Lines.TryGetValue(p, out var line))
            {
                return line;
            }
        }
        return Line;
    }
}
