namespace Dflare.Core.Resources;

/// <summary>One thing wrong with one field of a request: where (a path such as <c>spec.pools[0].count</c>), a stable
/// code a program can act on, and a sentence a person can.</summary>
public sealed record FieldError(string Field, string Code, string Message);

/// <summary>Stable codes of <see cref="FieldError"/>. They never change meaning; clients match on them.</summary>
public static class FieldErrorCodes
{
    public const string Required = "required";
    public const string TooLong = "too-long";
    public const string InvalidFormat = "invalid-format";
    public const string InvalidType = "invalid-type";
    public const string InvalidValue = "invalid-value";
    public const string Reserved = "reserved";
    public const string Mismatch = "mismatch";
    public const string TooMany = "too-many";
    public const string UnknownField = "unknown-field";
    public const string OutOfRange = "out-of-range";
    public const string UnknownReference = "unknown-reference";
}
