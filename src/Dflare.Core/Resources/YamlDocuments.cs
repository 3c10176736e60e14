using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Dflare.Core.Resources;

/// <summary>
/// YAML bodies as the JSON they stand for (what kubectl does before it sends a manifest), so one strict JSON reader
/// checks both. Plain scalars follow the YAML 1.2 core schema (null, booleans, integers, floats); quoted ones are
/// strings, so <c>version: "1.34"</c> stays text. One document per body; anchors and tags are refused.
/// </summary>
public static class YamlDocuments
{
    public static JsonNode? ToJson(string yaml)
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
        return stream.Documents.Count switch
        {
            0 => null,
            1 => Convert(stream.Documents[0].RootNode),
            _ => throw new YamlException($"The body holds {stream.Documents.Count} YAML documents; send one."),
        };
    }

    private static JsonNode? Convert(YamlNode node)
    {
        if (!node.Anchor.IsEmpty)
        {
            throw new YamlException(node.Start, node.End, "Anchors and aliases are not accepted.");
        }
        return node switch
        {
            YamlMappingNode map => new JsonObject(map.Children.Select(c => KeyValuePair.Create(Key(c.Key), Convert(c.Value)))),
            YamlSequenceNode sequence => new JsonArray([.. sequence.Children.Select(Convert)]),
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
