namespace Dflare.Client.Specs;

/// <summary>Field paths as the API's problem documents write them: <c>spec.pools[0].count</c>, and keys that are not
/// plain names in brackets, <c>metadata.labels["team.io/x"]</c>.</summary>
public static class SpecPaths
{
    public static string Field(string parent, string key)
    {
        var plain = key.Length > 0 && (char.IsAsciiLetter(key[0]) || key[0] == '_') && key.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
        if (!plain)
        {
            return $"{parent}[\"{key.Replace("\"", "\\\"", StringComparison.Ordinal)}\"]";
        }
        return parent.Length == 0 ? key : $"{parent}.{key}";
    }

    /// <summary>The path one level up, or "" at the top.</summary>
    public static string Parent(string path)
    {
        if (path.EndsWith(']'))
        {
            var open = path.LastIndexOf('[');
            return open <= 0 ? "" : path[..open];
        }
        var dot = path.LastIndexOf('.');
        return dot < 0 ? "" : path[..dot];
    }
}
