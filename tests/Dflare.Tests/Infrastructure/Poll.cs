namespace Dflare.Tests.Infrastructure;

/// <summary>Polls a condition on a short period until it holds or a deadline passes; never a blind sleep.</summary>
public static class Poll
{
    public static async Task<T> UntilAsync<T>(Func<CancellationToken, Task<T?>> probe, TimeSpan deadline, string what, TimeSpan? period = null)
        where T : class
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(deadline);
        using var timer = new PeriodicTimer(period ?? TimeSpan.FromMilliseconds(50));
        try
        {
            while (true)
            {
                if (await probe(timeout.Token) is { } value)
                {
                    return value;
                }
                await timer.WaitForNextTickAsync(timeout.Token);
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"Waited {deadline} for {what}.");
        }
    }
}
