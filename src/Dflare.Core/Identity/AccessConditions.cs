using System.Globalization;
using Dflare.Core.Resources;

namespace Dflare.Core.Identity;

/// <summary>
/// One condition of an access policy: an attribute of the subject, the resource or the request, an operator and
/// values. Attributes: <c>subject.realm|name|kind|groups|roles</c>, <c>resource.tenant|project</c>,
/// <c>resource.labels.{key}</c> (the project's labels, or the tenant's when no project is named) and
/// <c>resource.tenantLabels.{key}</c>, <c>request.method|ip|hour|weekday</c> (UTC), and whatever an endpoint adds for
/// its request (<c>request.gpuModel</c>, <c>request.costCeiling</c> where clusters are created).
/// </summary>
public sealed record AccessCondition(string Attribute, string Operator, IReadOnlyList<string>? Values);

public static class AccessConditions
{
    public static readonly IReadOnlyList<string> Operators = ["In", "NotIn", "LessThan", "GreaterThan", "Exists", "NotExists"];

    private static readonly string[] KnownPrefixes = ["subject.", "resource.", "request."];

    public static void Validate(Validation validation, string field, IReadOnlyList<AccessCondition>? conditions)
    {
        if (conditions is null)
        {
            return;
        }
        for (var i = 0; i < conditions.Count; i++)
        {
            var path = $"{field}[{i}]";
            var c = conditions[i];
            if (string.IsNullOrEmpty(c.Attribute) || !KnownPrefixes.Any(p => c.Attribute.StartsWith(p, StringComparison.Ordinal)) || c.Attribute.Length > 128)
            {
                validation.Add($"{path}.attribute", FieldErrorCodes.InvalidFormat, $"{path}.attribute must start with subject., resource. or request.");
            }
            if (!Operators.Contains(c.Operator))
            {
                validation.Add($"{path}.operator", FieldErrorCodes.InvalidValue, $"{path}.operator must be one of {string.Join(", ", Operators)}.");
                continue;
            }
            var needsValues = c.Operator is not ("Exists" or "NotExists");
            if (needsValues && c.Values is not { Count: > 0 })
            {
                validation.Add($"{path}.values", FieldErrorCodes.Required, $"{path}.values needs at least one value for {c.Operator}.");
            }
            if (c.Operator is "LessThan" or "GreaterThan" && c.Values is { Count: > 0 } values
                && (values.Count != 1 || !double.TryParse(values[0], NumberStyles.Float, CultureInfo.InvariantCulture, out _)))
            {
                validation.Add($"{path}.values", FieldErrorCodes.InvalidValue, $"{path}.values must be one number for {c.Operator}.");
            }
        }
    }

    /// <summary>Whether every condition holds. A missing attribute fails every operator but <c>NotExists</c> and <c>NotIn</c>.</summary>
    public static bool All(IReadOnlyList<AccessCondition> conditions, IReadOnlyDictionary<string, IReadOnlyList<string>> attributes) =>
        conditions.All(c => Holds(c, attributes.TryGetValue(c.Attribute, out var v) ? v : []));

    private static bool Holds(AccessCondition condition, IReadOnlyList<string> actual)
    {
        var values = condition.Values ?? [];
        return condition.Operator switch
        {
            "In" => actual.Any(a => values.Contains(a, StringComparer.Ordinal)),
            "NotIn" => !actual.Any(a => values.Contains(a, StringComparer.Ordinal)),
            "Exists" => actual.Count > 0,
            "NotExists" => actual.Count == 0,
            "LessThan" => Number(actual) is { } n && n < Number(values)!,
            "GreaterThan" => Number(actual) is { } n && n > Number(values)!,
            _ => false,
        };
    }

    private static double? Number(IReadOnlyList<string> values) =>
        values.Count == 1 && double.TryParse(values[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var n) ? n : null;
}
