namespace Dflare.Core.Resources;

/// <summary>Label keys and values follow Kubernetes' rules, so labels copy between Dflare and the clusters it builds.</summary>
public static class Labels
{
    public const int MaxCount = 64;
    private const int MaxNameLength = 63;
    private const int MaxPrefixLength = 253;

    public static void Validate(Validation validation, string field, IReadOnlyDictionary<string, string>? labels)
    {
        if (labels is null)
        {
            return;
        }
        if (labels.Count > MaxCount)
        {
            validation.Add(field, FieldErrorCodes.TooMany, $"{field} may hold at most {MaxCount} labels; it has {labels.Count}.");
            return;
        }
        foreach (var (key, value) in labels)
        {
            var path = $"{field}[\"{key}\"]";
            if (!IsValidKey(key))
            {
                validation.Add(path, FieldErrorCodes.InvalidFormat,
                    $"label key '{key}' must be an optional DNS-subdomain prefix and '/', then 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit.");
            }
            if (value is null || !IsValidValue(value))
            {
                validation.Add(path, FieldErrorCodes.InvalidFormat,
                    $"label value '{value}' must be empty or 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit.");
            }
        }
    }

    public static bool IsValidKey(string key)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            return IsQualifiedName(key);
        }
        var prefix = key[..slash];
        return prefix.Length is > 0 and <= MaxPrefixLength
            && prefix.Split('.').All(Names.IsDnsLabel)
            && IsQualifiedName(key[(slash + 1)..]);
    }

    public static bool IsValidValue(string value) => value.Length == 0 || IsQualifiedName(value);

    private static bool IsQualifiedName(string value) =>
        value.Length is > 0 and <= MaxNameLength
        && char.IsAsciiLetterOrDigit(value[0])
        && char.IsAsciiLetterOrDigit(value[^1])
        && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}
