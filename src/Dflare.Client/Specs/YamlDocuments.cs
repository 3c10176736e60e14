using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Dflare.Client.Specs;

/// <summary>
/// YAML as the JSON it stands for (what kubectl does before it sends a manifest), so one strict JSON reader on the
/// server checks both, and the CLI and the server never disagree on what a file says. Plain scalars follow the YAML
/// 1.2 core schema (null, booleans, integers, floats); quoted ones are strings, so <c>version: "1.34"</c> stays text.
/// Anchors, aliases and complex keys are refused.
/// </summary>
public static class YamlDocuments
{
    /// <summary>A request body: at most one document (none is null).</summary>
    /// <exception cref="YamlException">The text is not well-formed YAML, holds several documents, or says what JSON cannot.</exception>
    public static JsonNode? ToJson(string yaml)
    {
        var documents = Load(yaml);
        return documents.Count switch
        {
            0 => null,
            1 => Convert(documents[0].RootNode, "", null),
            _ => throw new YamlException($"The body holds {documents.Count} YAML documents; send one."),
        };
    }

    /// <summary>A file of specs separated by <c>---</c>, each with the line every field path starts on, so an error
    /// the server reports for <c>spec.pools[0].count</c> can point at the file's line.</summary>
    /// <exception cref="YamlException">The text is not well-formed YAML or says what JSON cannot.</exception>
    public static IReadOnlyList<SpecDocument> ReadAll(string yaml)
    {
        var result = new List<SpecDocument>();
        foreach (var document in Load(yaml))
        {
            var lines = new Dictionary<string, int>(StringComparer.Ordinal);
            var node = Convert(document.RootNode, "", lines);
            result.Add(new SpecDocument(node, (int)document.RootNode.Start.Line, lines));
        }
        return result;
    }

    private static IList<YamlDocument> Load(string yaml)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (InvalidOperationException ex)
        {
            // YamlDotNet's parser reports some truncated documents this way rather than as a YamlException.
            throw new YamlException(Mark.Empty, Mark.Empty, "The YAML ends before its collections are closed.", ex);
        }
        return stream.Documents;
    }

    private static JsonNode? Convert(YamlNode node, string path, Dictionary<string, int>? lines)
    {
        if (!node.Anchor.IsEmpty)
        {
            throw new YamlException(node.Start, node.End, "Anchors and aliases are not accepted.");
        }
        lines?.TryAdd(path, (int)node.Start.Line);
        return node switch
        {
            YamlMappingNode map => new JsonObject(map.Children.Select(c =>
            {
                var key = Key(c.Key);
                var child = SpecPaths.Field(path, key);
                lines?.TryAdd(child, (int)c.Key.Start.Line);
                return KeyValuePair.Create(key, Convert(c.Value, child, lines));
            })),
            YamlSequenceNode sequence => new JsonArray([.. sequence.Children.Select((c, i) => Convert(c, $"{path}[{i}]", lines))]),
            YamlScalarNode scalar => Scalar(scalar),
            _ => throw new YamlException(node.Start, node.End, "Unsupported YAML node."),
        };
    }

    private static string Key(YamlNode key) => key is YamlScalarNode { Value: { } text } ? text : throw new YamlException(key.Start, key.End, "Keys must be plain text.");

    private static JsonValue? Scalar(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? "";
        if (scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded)
        {
            return JsonValue.Create(text);
        }
        return text switch
        {
            "" or "~" or "null" or "Null" or "NULL" => null,
            "true" or "True" or "TRUE" => JsonValue.Create(true),
            "false" or "False" or "FALSE" => JsonValue.Create(false),
            _ when long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer) => JsonValue.Create(integer),
            _ when text.Any(char.IsDigit) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var real) && !text.Contains(',', StringComparison.Ordinal) => JsonValue.Create(real),
            _ => JsonValue.Create(text),
        };
    }
}
