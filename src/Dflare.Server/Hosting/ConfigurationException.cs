namespace Dflare.Server.Hosting;

/// <summary>The configuration cannot run: every problem found, each naming its setting.</summary>
public sealed class ConfigurationException(IReadOnlyList<string> errors)
    : DflareException("The configuration is not valid: " + string.Join(" ", errors), isTransient: false)
{
    public IReadOnlyList<string> Errors { get; } = errors;
}
