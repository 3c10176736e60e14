namespace Dflare.Core.Workflows;

/// <summary>How this process executes workflows. Bound from the <c>Workflows</c> section.</summary>
public sealed class WorkflowOptions
{
    public const string SectionName = "Workflows";

    /// <summary>Runs this process executes at once. 0 disables the workers (an API-only replica). Default: 4.</summary>
    public int Workers { get; set; } = 4;

    /// <summary>How long a claim lasts without renewal; a worker renews it before each step. Default: 30 s.</summary>
    public int LeaseSeconds { get; set; } = 30;

    /// <summary>How often an idle worker looks for due runs; new local runs wake it at once. Default: 1000 ms.</summary>
    public int PollMilliseconds { get; set; } = 1000;

    /// <summary>This process's name in leases. Default: host name, process id and a random suffix.</summary>
    public string? WorkerId { get; set; }
}
