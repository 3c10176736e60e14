namespace Dflare.Core.Resources;

/// <summary>Collects every field error of a request, so a client fixes them all in one round trip.</summary>
public sealed class Validation
{
    private readonly List<FieldError> _errors = [];

    public IReadOnlyList<FieldError> Errors => _errors;

    public bool IsValid => _errors.Count == 0;

    public void Add(string field, string code, string message) => _errors.Add(new FieldError(field, code, message));

    public bool Required(string field, object? value)
    {
        if (value is null || (value is string s && s.Length == 0))
        {
            Add(field, FieldErrorCodes.Required, $"{field} is required.");
            return false;
        }
        return true;
    }

    /// <summary>Optional free text: at most <paramref name="maxLength"/> characters and no control characters.</summary>
    public void Text(string field, string? value, int maxLength)
    {
        if (value is null)
        {
            return;
        }
        if (value.Length > maxLength)
        {
            Add(field, FieldErrorCodes.TooLong, $"{field} must be at most {maxLength} characters; it has {value.Length}.");
        }
        else if (value.Any(c => char.IsControl(c) && c != '\n' && c != '\t'))
        {
            Add(field, FieldErrorCodes.InvalidFormat, $"{field} must not contain control characters.");
        }
    }
}
