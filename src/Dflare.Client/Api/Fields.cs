using System.Globalization;
using System.Text.Json.Nodes;

namespace Dflare.Client.Api;

/// <summary>Reading fields of API objects by dotted path, and the formats people read them in (ages, sizes,
/// durations): shared by the CLI's tables and the portal's pages.</summary>
public static class Fields
{
    /// <summary>The node at a dotted path; the node itself for "".</summary>
    public static JsonNode? At(JsonNode? node, string path)
    {
        if (path.Length == 0)
        {
            return node;
        }
        foreach (var part in path.Split('.'))
        {
            node = (node as JsonObject)?[part];
        }
        return node;
    }

    /// <summary>The value at <paramref name="path"/> as text; "" when missing or null.</summary>
    public static string Text(JsonNode? node, string path) => At(node, path) switch
    {
        null => "",
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v => v.ToJsonString(),
        JsonArray a => string.Join(",", a.Select(x => x is JsonValue xv && xv.TryGetValue<string>(out var s) ? s : x?.ToJsonString())),
        JsonObject o => string.Join(",", o.Select(p => $"{p.Key}={(p.Value is JsonValue pv && pv.TryGetValue<string>(out var s) ? s : p.Value?.ToJsonString())}")),
        var other => other.ToJsonString(),
    };

    public static int Count(JsonNode? node, string path) => (At(node, path) as JsonArray)?.Count ?? 0;

    public static DateTimeOffset? Time(JsonNode? node, string path) =>
        DateTimeOffset.TryParse(Text(node, path), CultureInfo.InvariantCulture, DateTimeStyles.None, out var t) ? t : null;

    /// <summary>kubectl's age: 45s, 12m, 3h, 9d.</summary>
    public static string Age(DateTimeOffset? since, DateTimeOffset now)
    {
        if (since is null)
        {
            return "";
        }
        var age = now - since.Value;
        return age.TotalSeconds < 0 ? "0s"
            : age.TotalMinutes < 2 ? $"{(int)age.TotalSeconds}s"
            : age.TotalHours < 2 ? $"{(int)age.TotalMinutes}m"
            : age.TotalDays < 2 ? $"{(int)age.TotalHours}h"
            : $"{(int)age.TotalDays}d";
    }

    /// <summary>Binary sizes the way storage people read them: 1Ti, 512Gi.</summary>
    public static string Bytes(JsonNode? node, string path)
    {
        if (At(node, path) is not JsonValue v || !v.TryGetValue<long>(out var bytes))
        {
            return "";
        }
        string[] units = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
        var value = (double)bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return value.ToString(value >= 100 || unit == 0 ? "0" : "0.#", CultureInfo.InvariantCulture) + units[unit];
    }

    /// <summary>A duration to a tenth of a second below a minute, else minutes and seconds.</summary>
    public static string Duration(TimeSpan span) => span.TotalSeconds < 60
        ? span.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + "s"
        : $"{(int)span.TotalMinutes}m{span.Seconds:00}s";
}
