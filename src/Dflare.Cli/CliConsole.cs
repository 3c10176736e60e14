namespace Dflare.Cli;

/// <summary>Where a command writes and what it reads of its surroundings: the process's console and environment, or
/// a test's writers and settings. <see cref="IsTerminal"/> turns on live, redrawn progress (else one line per change).</summary>
public sealed record CliConsole(TextReader In, TextWriter Out, TextWriter Error, IReadOnlyDictionary<string, string?> Environment, bool IsTerminal, TimeProvider Time)
{
    public static CliConsole FromProcess() => new(
        Console.In, Console.Out, Console.Error,
        System.Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>().ToDictionary(e => (string)e.Key, e => (string?)e.Value, StringComparer.Ordinal),
        !Console.IsOutputRedirected && System.Environment.GetEnvironmentVariable("TERM") is not (null or "dumb"),
        TimeProvider.System);

    public string? Variable(string name) => Environment.GetValueOrDefault(name) is { Length: > 0 } value ? value : null;
}
