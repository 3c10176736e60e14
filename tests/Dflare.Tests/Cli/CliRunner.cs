using Dflare.Cli;
using Dflare.Tests.Infrastructure;

namespace Dflare.Tests.Cli;

/// <summary>What one <c>dflare</c> command did: its exit code and what it wrote.</summary>
public sealed record CliResult(int ExitCode, string Out, string Error)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}--- stderr\n{Error}";
}

/// <summary>
/// Runs <c>dflare</c> in process against a real server, exactly as the executable does (same entry point, same
/// parsing), with its configuration in a directory of the test's own and no terminal (so progress prints as lines).
/// </summary>
public sealed class CliRunner(string configDirectory, IReadOnlyDictionary<string, string?>? environment = null)
{
    public string ConfigDirectory => configDirectory;

    public Task<CliResult> RunAsync(params string[] args) => RunAsync(args, null, TestContext.Current.CancellationToken);

    public async Task<CliResult> RunAsync(IReadOnlyList<string> args, CapturingWriter? output, CancellationToken cancellationToken, string input = "")
    {
        var stdout = output ?? new CapturingWriter();
        var stderr = new CapturingWriter();
        var variables = new Dictionary<string, string?>(environment ?? new Dictionary<string, string?>()) { ["DFLARE_CONFIG"] = configDirectory };
        var console = new CliConsole(new StringReader(input), stdout, stderr, variables, IsTerminal: false, TimeProvider.System);
        var code = await CliApp.RunAsync(args, console, cancellationToken);
        return new CliResult(code, stdout.Text, stderr.Text);
    }

    /// <summary>Runs and asserts it succeeded, showing everything it wrote when it did not.</summary>
    public async Task<CliResult> OkAsync(params string[] args)
    {
        var result = await RunAsync(args);
        Assert.True(result.ExitCode == 0, $"dflare {string.Join(' ', args)}: {result}");
        return result;
    }
}
