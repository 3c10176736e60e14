using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Serialization;

namespace Dflare.Cli.Output;

/// <summary>JSON as YAML for <c>-o yaml</c>, quoting every string that would read back as something else
/// (<c>"1.34"</c>, <c>"true"</c>), so the output can be edited and applied again unchanged.</summary>
public static class YamlText
{
    private static readonly ISerializer Serializer = new SerializerBuilder().WithQuotingNecessaryStrings().DisableAliases().Build();

    public static string From(JsonNode? node) => Serializer.Serialize(Plain(node));

    private static object? Plain(JsonNode? node) => node switch
    {
        null => null,
        JsonObject o => o.ToDictionary(p => p.Key, p => Plain(p.Value)),
        JsonArray a => a.Select(Plain).ToList(),
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => v.GetValue<string>(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Number when v.TryGetValue<long>(out var l) => l,
            JsonValueKind.Number => v.TryGetValue<decimal>(out var d) ? d : v.GetValue<double>(),
            _ => v.ToJsonString(),
        },
        _ => node.ToJsonString(),
    };
}
