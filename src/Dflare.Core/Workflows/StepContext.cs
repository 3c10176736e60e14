using System.Text.Json.Nodes;
using Dflare.Persistence.Store;

namespace Dflare.Core.Workflows;

/// <summary>What a step sees: the run's input, earlier steps' outputs, and a fenced way to write.</summary>
public sealed class StepContext
{
    private readonly Func<Func<DflareDbContext, CancellationToken, Task>, CancellationToken, Task> _fencedWrite;

    internal StepContext(
        Guid runId, string stepName, int attempt, long fencingToken, JsonNode? input,
        IReadOnlyDictionary<string, JsonNode?> outputs, Func<Func<DflareDbContext, CancellationToken, Task>, CancellationToken, Task> fencedWrite)
    {
        RunId = runId;
        StepName = stepName;
        Attempt = attempt;
        FencingToken = fencingToken;
        Input = input;
        Outputs = outputs;
        _fencedWrite = fencedWrite;
    }

    public Guid RunId { get; }

    public string StepName { get; }

    /// <summary>1 on the first execution; more after retries or a crash.</summary>
    public int Attempt { get; }

    public long FencingToken { get; }

    public JsonNode? Input { get; }

    /// <summary>Outputs of the steps that completed before this one, by step name.</summary>
    public IReadOnlyDictionary<string, JsonNode?> Outputs { get; }

    /// <summary>The same on every execution of this step of this run: pass it to outside systems so that a step run
    /// again after a crash does not apply its effect twice.</summary>
    public string IdempotencyKey => $"{RunId:N}/{StepName}";

    /// <summary>The key for this step's compensation.</summary>
    public string CompensationKey => $"{RunId:N}/{StepName}/undo";

    /// <summary>Writes to the store in one transaction that commits only while this worker still holds the run's
    /// lease with the same fencing token; otherwise throws <see cref="LeaseLostException"/> and writes nothing.</summary>
    public Task WriteAsync(Func<DflareDbContext, CancellationToken, Task> write, CancellationToken cancellationToken) =>
        _fencedWrite(write, cancellationToken);
}

/// <summary>This worker's lease on a run was taken over (it was paused or partitioned too long): it must stop.</summary>
public sealed class LeaseLostException(Guid runId, long fencingToken)
    : DflareException($"Run {runId} is no longer leased with fencing token {fencingToken}.", isTransient: false)
{
    public Guid RunId { get; } = runId;
}
