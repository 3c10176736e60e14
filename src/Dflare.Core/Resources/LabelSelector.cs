namespace Dflare.Core.Resources;

/// <summary>
/// Kubernetes label selectors: requirements separated by commas, all of which must hold. Supported:
/// <c>k=v</c>, <c>k==v</c>, <c>k!=v</c>, <c>k</c> (has the label), <c>!k</c> (lacks it), <c>k in (a,b)</c>,
/// <c>k notin (a,b)</c>. As in Kubernetes, <c>!=</c> and <c>notin</c> also match objects without the label.
/// </summary>
public sealed class LabelSelector
{
    private readonly IReadOnlyList<Requirement> _requirements;

    private LabelSelector(IReadOnlyList<Requirement> requirements) => _requirements = requirements;

    public bool Matches(IReadOnlyDictionary<string, string> labels) => _requirements.All(r => r.Matches(labels));

    /// <summary>The selector, or the reason it cannot be read.</summary>
    public static (LabelSelector? Selector, string? Error) Parse(string text)
    {
        var requirements = new List<Requirement>();
        foreach (var part in SplitTopLevel(text))
        {
            var (requirement, error) = ParseRequirement(part.Trim());
            if (error is not null)
            {
                return (null, error);
            }
            requirements.Add(requirement!);
        }
        return requirements.Count == 0 ? (null, "the selector is empty") : (new LabelSelector(requirements), null);
    }

    private static (Requirement?, string?) ParseRequirement(string part)
    {
        if (part.Length == 0)
        {
            return (null, "an empty requirement (two commas in a row?)");
        }
        foreach (var (word, op) in new[] { (" notin ", Operator.NotIn), (" in ", Operator.In) })
        {
            var at = part.IndexOf(word, StringComparison.Ordinal);
            if (at > 0)
            {
                var key = part[..at].Trim();
                var set = part[(at + word.Length)..].Trim();
                if (!set.StartsWith('(') || !set.EndsWith(')'))
                {
                    return (null, $"'{part}': the values of '{word.Trim()}' go in parentheses, e.g. {key}{word}(a,b)");
                }
                var values = set[1..^1].Split(',', StringSplitOptions.TrimEntries);
                return Validated(part, new Requirement(key, op, values));
            }
        }
        foreach (var (symbol, op) in new[] { ("!=", Operator.NotEquals), ("==", Operator.Equals), ("=", Operator.Equals) })
        {
            var at = part.IndexOf(symbol, StringComparison.Ordinal);
            if (at >= 0)
            {
                return Validated(part, new Requirement(part[..at].Trim(), op, [part[(at + symbol.Length)..].Trim()]));
            }
        }
        return part.StartsWith('!')
            ? Validated(part, new Requirement(part[1..].Trim(), Operator.DoesNotExist, []))
            : Validated(part, new Requirement(part, Operator.Exists, []));
    }

    private static (Requirement?, string?) Validated(string part, Requirement requirement)
    {
        if (!Labels.IsValidKey(requirement.Key))
        {
            return (null, $"'{part}': '{requirement.Key}' is not a label key");
        }
        var bad = requirement.Values.FirstOrDefault(v => !Labels.IsValidValue(v));
        return bad is not null ? (null, $"'{part}': '{bad}' is not a label value") : (requirement, null);
    }

    // Commas inside "in (a,b)" do not separate requirements.
    private static IEnumerable<string> SplitTopLevel(string text)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            depth += text[i] switch { '(' => 1, ')' => -1, _ => 0 };
            if (text[i] == ',' && depth == 0)
            {
                yield return text[start..i];
                start = i + 1;
            }
        }
        yield return text[start..];
    }

    private enum Operator
    {
        Equals,
        NotEquals,
        In,
        NotIn,
        Exists,
        DoesNotExist,
    }

    private sealed record Requirement(string Key, Operator Operator, IReadOnlyList<string> Values)
    {
        public bool Matches(IReadOnlyDictionary<string, string> labels)
        {
            var has = labels.TryGetValue(Key, out var value);
            return Operator switch
            {
                Operator.Equals or Operator.In => has && Values.Contains(value),
                Operator.NotEquals or Operator.NotIn => !has || !Values.Contains(value),
                Operator.Exists => has,
                _ => !has,
            };
        }
    }
}
