using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Dflare.Cli.Config;
using Dflare.Cli.Progress;
using Dflare.Cli.Resources;
using Dflare.Client.Api;
using Dflare.Client.Operations;

namespace Dflare.Cli.Commands;

/// <summary><c>--wait</c> and <c>--timeout</c>, and following an operation with live progress.</summary>
public static class WaitFlags
{
    public static readonly Option<bool> Wait = new("--wait") { Description = "Follow the operation with live progress until it ends; exit 1 if it fails, 5 at the timeout." };

    public static readonly Option<string> Timeout = new("--timeout") { Description = "How long --wait waits: 90s, 10m, 1h (default 10m).", DefaultValueFactory = _ => "10m" };

    public static TimeSpan Parse(string text)
    {
        var unit = text.Length > 0 ? text[^1] : ' ';
        var scale = unit switch { 's' => 1, 'm' => 60, 'h' => 3600, _ => 0 };
        if (scale == 0 || !double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value <= 0)
        {
            throw new CliException(ExitCodes.Usage, $"--timeout {text}: give a duration such as 90s, 10m or 1h.");
        }
        return TimeSpan.FromSeconds(value * scale);
    }

    /// <summary>The operation an answer names: an Operation itself, or an object's <c>status.operation</c>.</summary>
    public static string? OperationOf(JsonObject? answer) =>
        answer is null ? null : Fields.Text(answer, "kind") == "Operation" ? Fields.Text(answer, "metadata.name") : Fields.Text(answer, "status.operation") is { Length: > 0 } id ? id : null;

    /// <summary>Phases an object rests in: done, one way or the other.</summary>
    public static readonly IReadOnlySet<string> SettledPhases = new HashSet<string>(StringComparer.Ordinal) { "Ready", "Operational", "Active", "Failed" };

    /// <summary>Polls an object until its <c>status.phase</c> settles, printing each phase it passes; Failed is exit 1.</summary>
    public static async Task<int> SettleAsync(CliConsole console, Session session, string path, string subject, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = console.Time.GetUtcNow() + timeout;
        string? shown = null;
        while (true)
        {
            var item = await session.Client.GetAsync(path, cancellationToken);
            var phase = Fields.Text(item, "status.phase");
            if (phase.Length == 0)
            {
                return ExitCodes.Ok; // nothing to wait for
            }
            if (phase != shown)
            {
                var reason = Fields.Text(item, "status.reason");
                await console.Out.WriteLineAsync($"{subject} is {phase}{(reason.Length > 0 ? $": {reason}" : "")}");
                shown = phase;
            }
            if (SettledPhases.Contains(phase))
            {
                return phase == "Failed" ? ExitCodes.Error : ExitCodes.Ok;
            }
            if (console.Time.GetUtcNow() >= deadline)
            {
                throw new TimeoutException($"{subject} is still {phase} after {timeout.TotalSeconds:0} s.");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(250), console.Time, cancellationToken);
        }
    }

    /// <summary>Follows the operation to its end; answers the exit code (Ok, or Error when it failed or was cancelled).</summary>
    public static async Task<int> FollowAsync(CliConsole console, Session session, string? tenant, string operationId, string subject, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var progress = new OperationProgress(console, subject);
        var waiter = new OperationWaiter(session.Client, console.Time) { ReportEveryPoll = console.IsTerminal };
        var final = await waiter.WaitAsync(Paths.Operation(session, tenant, operationId), progress.ShowAsync, timeout, cancellationToken);
        await progress.FinishAsync(final);
        return final.Succeeded ? ExitCodes.Ok : ExitCodes.Error;
    }
}
