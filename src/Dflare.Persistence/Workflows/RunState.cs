namespace Dflare.Persistence.Workflows;

/// <summary>Where a workflow run is. Stored by name; a name never changes meaning (a test freezes them).</summary>
public enum RunState
{
    /// <summary>Created; no step has started.</summary>
    Pending = 0,

    /// <summary>Executing steps in order.</summary>
    Running = 1,

    /// <summary>A step failed for good, or cancel was asked: undoing completed steps in reverse order.</summary>
    Compensating = 2,

    /// <summary>Every step completed. Terminal.</summary>
    Succeeded = 3,

    /// <summary>A step failed for good; completed steps were compensated. Terminal.</summary>
    Failed = 4,

    /// <summary>Cancelled on request; completed steps were compensated. Terminal.</summary>
    Cancelled = 5,
}

/// <summary>Where one step of a run is.</summary>
public enum StepState
{
    Pending = 0,
    Running = 1,

    /// <summary>Polling outside state; runs again at its due time without holding a worker.</summary>
    Waiting = 2,
    Succeeded = 3,
    Failed = 4,
    Compensated = 5,

    /// <summary>Never ran because the run failed or was cancelled first.</summary>
    Skipped = 6,
}

/// <summary>The append-only transitions of a run.</summary>
public enum RunEventType
{
    Created = 0,
    StepStarted = 1,
    StepSucceeded = 2,
    StepFailed = 3,
    StepRetried = 4,
    StepWaiting = 5,
    CompensationStarted = 6,
    StepCompensated = 7,
    RunSucceeded = 8,
    RunFailed = 9,
    RunCancelled = 10,
    CancelRequested = 11,
    LeaseTakenOver = 12,
}
