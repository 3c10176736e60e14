using Dflare.Cli.Resources;
using Dflare.Client.Api;
using Dflare.Client.Operations;

namespace Dflare.Cli.Progress;

/// <summary>
/// What <c>--wait</c> shows while an operation runs: a line per step with its state and elapsed time. On a terminal
/// the block is redrawn in place as steps advance; elsewhere (a pipe, a log, CI) a line is printed each time a step
/// changes state, so the output reads as a log.
/// </summary>
public sealed class OperationProgress(CliConsole console, string subject)
{
    private readonly Dictionary<string, string> _printed = new(StringComparer.Ordinal);
    private int _drawnLines;
    private bool _headed;

    public async Task ShowAsync(OperationView view)
    {
        if (!_headed)
        {
            await console.Out.WriteLineAsync($"{subject}: {view.Workflow} (operation {view.Id})");
            _headed = true;
        }
        var now = console.Time.GetUtcNow();
        if (console.IsTerminal)
        {
            if (_drawnLines > 0)
            {
                await console.Out.WriteAsync($"\u001b[{_drawnLines}A");
            }
            foreach (var step in view.Steps)
            {
                await console.Out.WriteLineAsync("\u001b[2K" + Line(step, now));
            }
            _drawnLines = view.Steps.Count;
        }
        else
        {
            foreach (var step in view.Steps.Where(s => s.State != "Pending"))
            {
                var shown = $"{step.State}|{step.Attempts}|{step.WaitingFor}|{step.LastError}";
                if (!_printed.TryGetValue(step.Name, out var before) || before != shown)
                {
                    _printed[step.Name] = shown;
                    await console.Out.WriteLineAsync(Line(step, now));
                }
            }
        }
        await console.Out.FlushAsync();
    }

    /// <summary>The closing line: how it ended and how long it took.</summary>
    public async Task FinishAsync(OperationView view)
    {
        var started = view.Steps.Select(s => s.StartedAt).Where(t => t is not null).Min();
        var finished = view.Steps.Select(s => s.FinishedAt).Where(t => t is not null).Max();
        var took = started is { } a && finished is { } b ? $" in {Fields.Duration(b - a)}" : "";
        await console.Out.WriteLineAsync(view.Succeeded
            ? $"{subject}: {view.Workflow} succeeded{took}."
            : $"{subject}: {view.Workflow} {view.Phase.ToLowerInvariant()}{took}{(view.LastError is null ? "" : $": {view.LastError}")}");
    }

    private static string Line(StepView step, DateTimeOffset now)
    {
        var mark = step.State switch
        {
            "Succeeded" => "✓",
            "Skipped" => "-",
            "Failed" => "✗",
            "Compensated" => "↺",
            "Running" or "Waiting" => "…",
            _ => "·",
        };
        var elapsed = step.StartedAt is { } start ? Fields.Duration((step.FinishedAt ?? now) - start) : "";
        var note = step.WaitingFor is { Length: > 0 } waiting && step.State is "Waiting" or "Running" ? $"  waiting for {waiting}"
            : step.LastError is { Length: > 0 } error && step.State is not "Succeeded" ? $"  {error}"
            : step.Attempts > 1 ? $"  attempt {step.Attempts}" : "";
        return $"  {mark} {step.Name,-16} {step.State,-11} {elapsed,7}{note}".TrimEnd();
    }
}
