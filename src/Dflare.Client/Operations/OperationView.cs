using System.Text.Json.Nodes;

namespace Dflare.Client.Operations;

/// <summary>One step of an operation as the API shows it.</summary>
public sealed record StepView(string Name, string State, int Attempts, string? LastError, string? WaitingFor, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt);

/// <summary>
/// An operation (a workflow run) as the API shows it: its phase — Pending, Running, Compensating, Succeeded, Failed
/// or Cancelled — the step running now, the last error, and every step.
/// </summary>
public sealed record OperationView(string Id, string Workflow, string? Target, string Phase, string? CurrentStep, string? LastError, IReadOnlyList<StepView> Steps)
{
    public bool IsFinished => Phase is "Succeeded" or "Failed" or "Cancelled";

    public bool Succeeded => Phase == "Succeeded";

    public static OperationView From(JsonObject operation)
    {
        var status = operation["status"] as JsonObject ?? [];
        var spec = operation["spec"] as JsonObject ?? [];
        return new OperationView(
            Text(operation["metadata"]?["name"]) ?? "", Text(spec["workflow"]) ?? "", Text(spec["target"]), Text(status["phase"]) ?? "Pending",
            Text(status["currentStep"]), Text(status["lastError"]),
            [.. (status["steps"] as JsonArray ?? []).OfType<JsonObject>().Select(s => new StepView(
                Text(s["name"]) ?? "", Text(s["state"]) ?? "", s["attempts"]?.GetValue<int>() ?? 0, Text(s["lastError"]), Text(s["waitingFor"]),
                Time(s["startedAt"]), Time(s["finishedAt"])))]);
    }

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static DateTimeOffset? Time(JsonNode? node) => Text(node) is { } s && DateTimeOffset.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var t) ? t : null;
}
