namespace Dflare.Cli;

/// <summary>A failure the CLI explains in one line and ends with <see cref="ExitCode"/>.</summary>
public sealed class CliException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
