namespace Dflare.Core.Workflows;

/// <summary>Wakes this process's idle workers when it starts a run, so they need not wait for the next poll.</summary>
public sealed class WorkflowSignal : IDisposable
{
    private readonly SemaphoreSlim _semaphore = new(0, int.MaxValue);

    public void Notify(int workers = 1) => _semaphore.Release(workers);

    /// <summary>True when notified, false when <paramref name="timeout"/> passed first.</summary>
    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _semaphore.WaitAsync(timeout, cancellationToken);

    public void Dispose() => _semaphore.Dispose();
}
