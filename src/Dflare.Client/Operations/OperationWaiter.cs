using Dflare.Client.Api;

namespace Dflare.Client.Operations;

/// <summary>
/// Follows an operation until it ends: polls it, tells <c>onChange</c> whenever what it shows changes (a step started,
/// finished, retried, or began waiting), and answers the final view. Past the deadline it throws
/// <see cref="TimeoutException"/>; the operation itself goes on.
/// </summary>
public sealed class OperationWaiter(DflareClient client, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public TimeSpan Interval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Call <c>onChange</c> on every poll, changed or not (a live display redraws its clocks).</summary>
    public bool ReportEveryPoll { get; init; }

    public async Task<OperationView> WaitAsync(string operationPath, Func<OperationView, Task>? onChange, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = _time.GetUtcNow() + timeout;
        OperationView? last = null;
        while (true)
        {
            var view = OperationView.From(await client.GetAsync(operationPath, cancellationToken));
            if (onChange is not null && (ReportEveryPoll || last is null || !Same(last, view)))
            {
                await onChange(view);
            }
            last = view;
            if (view.IsFinished)
            {
                return view;
            }
            if (_time.GetUtcNow() >= deadline)
            {
                throw new TimeoutException($"Operation {view.Id} is still {view.Phase} after {timeout.TotalSeconds:0} s{(view.CurrentStep is null ? "" : $" (at {view.CurrentStep})")}.");
            }
            await Task.Delay(Interval, _time, cancellationToken);
        }
    }

    private static bool Same(OperationView a, OperationView b) =>
        a.Phase == b.Phase && a.CurrentStep == b.CurrentStep && a.LastError == b.LastError && a.Steps.SequenceEqual(b.Steps);
}
