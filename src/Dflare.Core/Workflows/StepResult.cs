using System.Text.Json.Nodes;

namespace Dflare.Core.Workflows;

/// <summary>What a step execution says happened. Exceptions count as transient failures.</summary>
public abstract record StepResult
{
    public static StepResult Done(JsonNode? output = null) => new Completed(output);

    /// <summary>Outside state is not there yet: run again after <paramref name="pollAfter"/>, without holding a worker.</summary>
    public static StepResult WaitFor(string reason, TimeSpan pollAfter) => new Waiting(reason, pollAfter);

    /// <summary>Worth retrying (a timeout, a busy BMC): retried under the step's policy.</summary>
    public static StepResult Transient(string error) => new Failed(error, IsPermanent: false);

    /// <summary>Retrying cannot help (bad credentials, no capacity): the run fails and compensates.</summary>
    public static StepResult Permanent(string error) => new Failed(error, IsPermanent: true);

    public sealed record Completed(JsonNode? Output) : StepResult;

    public sealed record Waiting(string Reason, TimeSpan PollAfter) : StepResult;

    public sealed record Failed(string Error, bool IsPermanent) : StepResult;
}
