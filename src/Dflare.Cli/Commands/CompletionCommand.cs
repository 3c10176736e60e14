using System.CommandLine;

namespace Dflare.Cli.Commands;

/// <summary>
/// <c>dflare completion bash|zsh</c>: a script for the shell's startup file. The shell hands the line typed so far to
/// <c>dflare [suggest:N]</c>, which answers from the same command tree that parses it, object names included.
/// </summary>
public static class CompletionCommand
{
    private const string Bash = """
        # dflare completion for bash: add `source <(dflare completion bash)` to ~/.bashrc
        _dflare_complete() {
            local IFS=$'\n'
            COMPREPLY=( $(dflare "[suggest:${COMP_POINT}]" "${COMP_LINE}" 2>/dev/null) )
        }
        complete -o default -F _dflare_complete dflare
        """;

    private const string Zsh = """
        # dflare completion for zsh: add `source <(dflare completion zsh)` to ~/.zshrc
        _dflare_complete() {
            local -a completions
            completions=("${(@f)$(dflare "[suggest:${CURSOR}]" "${BUFFER}" 2>/dev/null)}")
            compadd -- $completions
        }
        compdef _dflare_complete dflare
        """;

    public static Command Build(CliConsole console)
    {
        var shell = new Argument<string>("shell") { Description = "bash or zsh." };
        shell.AcceptOnlyFromAmong("bash", "zsh");
        var command = new Command("completion", "Print the shell completion script (bash or zsh).") { shell };
        command.SetAction(async (parse, _) =>
        {
            await console.Out.WriteLineAsync(parse.GetValue(shell) == "zsh" ? Zsh : Bash);
            return ExitCodes.Ok;
        });
        return command;
    }
}

/// <summary><c>dflare version</c>.</summary>
public static class VersionCommand
{
    public static Command Build(CliConsole console)
    {
        var command = new Command("version", "Print dflare's version.");
        command.SetAction(async (_, _) =>
        {
            await console.Out.WriteLineAsync($"dflare {typeof(VersionCommand).Assembly.GetName().Version?.ToString(3)}");
            return ExitCodes.Ok;
        });
        return command;
    }
}
