namespace Dflare.Core.Resources;

/// <summary>
/// Object names are DNS labels (RFC 1123), as in Kubernetes: they end up in hostnames, Slurm account names, VRF and
/// directory names, so the strictest of those rules applies everywhere.
/// </summary>
public static class Names
{
    public const int MaxLength = 63;

    public static void Validate(Validation validation, string field, string? name, IReadOnlySet<string>? reserved = null)
    {
        if (!validation.Required(field, name))
        {
            return;
        }
        if (name!.Length > MaxLength)
        {
            validation.Add(field, FieldErrorCodes.TooLong, $"{field} must be at most {MaxLength} characters; it has {name.Length}.");
            return;
        }
        if (!IsDnsLabel(name))
        {
            validation.Add(field, FieldErrorCodes.InvalidFormat,
                $"{field} '{name}' must consist of lower-case letters, digits and '-', and start and end with a letter or digit.");
            return;
        }
        if (reserved is not null && reserved.Contains(name))
        {
            validation.Add(field, FieldErrorCodes.Reserved, $"{field} '{name}' is reserved.");
        }
    }

    public static bool IsDnsLabel(string value)
    {
        if (value.Length is 0 or > MaxLength || !IsAlphanumeric(value[0]) || !IsAlphanumeric(value[^1]))
        {
            return false;
        }
        return value.All(c => IsAlphanumeric(c) || c == '-');
    }

    private static bool IsAlphanumeric(char c) => c is (>= 'a' and <= 'z') or (>= '0' and <= '9');
}
