namespace Dflare.Core.Workflows;

/// <summary>
/// A named, versioned, ordered list of steps. Runs record the version they started with; a changed list of steps
/// gets a new version so runs in flight keep the steps they began with.
/// </summary>
public sealed record WorkflowDefinition
{
    public required string Name { get; init; }

    public int Version { get; init; } = 1;

    public required IReadOnlyList<StepDefinition> Steps { get; init; }

    /// <summary>At most one active run per (workflow, target), like Temporal's one open execution per workflow id.</summary>
    public bool SingleActivePerTarget { get; init; }
}

/// <summary>
/// One step. <see cref="Execute"/> must be idempotent: after a crash it runs again with the same input and the same
/// <see cref="StepContext.IdempotencyKey"/>. <see cref="Compensate"/>, when the step allocates or creates something,
/// undoes it (also idempotently); it runs at most once per completed step unless a crash interrupts it.
/// </summary>
public sealed record StepDefinition
{
    public required string Name { get; init; }

    public required Func<StepContext, CancellationToken, Task<StepResult>> Execute { get; init; }

    public Func<StepContext, CancellationToken, Task>? Compensate { get; init; }

    public RetryPolicy Retry { get; init; } = RetryPolicy.Default;

    /// <summary>How long one execution may take before it counts as a transient failure. Default: 30 s.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the step may keep waiting on outside state, from its first execution. Default: 30 min.</summary>
    public TimeSpan WaitDeadline { get; init; } = TimeSpan.FromMinutes(30);
}

/// <summary>Attempts and exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff and Jitter").</summary>
public sealed record RetryPolicy(int MaxAttempts, TimeSpan InitialBackoff, TimeSpan MaxBackoff, double Multiplier = 2.0)
{
    public static readonly RetryPolicy Default = new(5, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));

    public static readonly RetryPolicy None = new(1, TimeSpan.Zero, TimeSpan.Zero);

    /// <summary>The delay before attempt <paramref name="nextAttempt"/> (2 for the first retry): uniform in [0, cap].</summary>
    public TimeSpan Backoff(int nextAttempt, double unitRandom)
    {
        var exponent = Math.Max(0, nextAttempt - 2);
        var cap = Math.Min(MaxBackoff.TotalMilliseconds, InitialBackoff.TotalMilliseconds * Math.Pow(Multiplier, exponent));
        return TimeSpan.FromMilliseconds(cap * Math.Clamp(unitRandom, 0, 1));
    }
}
