using System.CommandLine;
using Dflare.Cli.Commands;

namespace Dflare.Cli;

/// <summary>
/// <c>dflare</c>: kubectl-like verbs over the Dflare API. Every failure ends in one line on standard error — what went
/// wrong and the problem code — and an exit code from <see cref="ExitCodes"/>.
/// </summary>
public static class CliApp
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args, CliConsole console, CancellationToken cancellationToken)
    {
        var root = BuildRoot(console);
        var parsed = root.Parse([.. args]);
        var configuration = new InvocationConfiguration { Output = console.Out, Error = console.Error, EnableDefaultExceptionHandler = false };
        if (parsed.Errors.Count > 0 && parsed.Action is not System.CommandLine.Help.HelpAction)
        {
            var command = parsed.CommandResult.Command;
            // The most telling first: a misspelt word explains a missing command better than the other way round.
            var messages = parsed.Errors.Select(e => e.Message).OrderBy(m => m.StartsWith("Unrecognized", StringComparison.Ordinal) ? 0 : 1).Distinct();
            await console.Error.WriteLineAsync($"error: {string.Join("; ", messages)} (see '{Path(command)} --help')");
            return ExitCodes.Usage;
        }
        return await parsed.InvokeAsync(configuration, cancellationToken);
    }

    public static RootCommand BuildRoot(CliConsole console)
    {
        var root = new RootCommand("dflare: GPU clusters on bare metal. Sign in, apply specs, follow operations, read usage and invoices.");
        root.Options.Add(GlobalFlags.Context);
        root.Options.Add(GlobalFlags.Server);
        root.Options.Add(GlobalFlags.Tenant);
        root.Subcommands.Add(LoginCommand.Build(console));
        root.Subcommands.Add(LogoutCommand.Build(console));
        root.Subcommands.Add(ConfigCommand.Build(console));
        root.Subcommands.Add(GetCommand.Build(console));
        root.Subcommands.Add(DescribeCommand.Build(console));
        root.Subcommands.Add(ApplyCommand.Build(console, create: true));
        root.Subcommands.Add(ApplyCommand.Build(console, create: false));
        root.Subcommands.Add(DeleteCommand.Build(console));
        root.Subcommands.Add(AccessCommand.Build(console));
        root.Subcommands.Add(CompletionCommand.Build(console));
        root.Subcommands.Add(VersionCommand.Build(console));
        return root;
    }

    private static string Path(Command command) => command.Parents.OfType<Command>().FirstOrDefault() is { } parent && parent is not RootCommand
        ? $"{Path(parent)} {command.Name}"
        : command is RootCommand ? "dflare" : $"dflare {command.Name}";
}
