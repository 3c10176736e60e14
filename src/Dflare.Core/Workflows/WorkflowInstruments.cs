using Prometheus;

namespace Dflare.Core.Workflows;

/// <summary>The workflow engine's metrics: runs finished by state, step latency, retries, lease takeovers and losses.
/// Runs by current state come from the store (<see cref="WorkflowClient.CountByStateAsync"/>) at scrape time.</summary>
public static class WorkflowInstruments
{
    public static readonly Counter RunsFinished = Metrics.CreateCounter(
        "dflare_workflow_runs_finished_total", "Runs that reached a terminal state, by workflow and state.", "workflow", "state");

    public static readonly Histogram StepDuration = Metrics.CreateHistogram(
        "dflare_workflow_step_duration_seconds", "Time one step execution took, by workflow and step.",
        new HistogramConfiguration { LabelNames = ["workflow", "step"], Buckets = Histogram.ExponentialBuckets(0.001, 4, 10) });

    public static readonly Counter StepRetries = Metrics.CreateCounter(
        "dflare_workflow_step_retries_total", "Step executions that failed transiently and were scheduled again.", "workflow", "step");

    public static readonly Counter LeaseTakeovers = Metrics.CreateCounter(
        "dflare_workflow_lease_takeovers_total", "Runs claimed after another worker's lease expired.");

    public static readonly Counter LeaseLosses = Metrics.CreateCounter(
        "dflare_workflow_lease_losses_total", "Writes refused because this worker's lease had been taken over.");

    public static readonly Gauge RunsByState = Metrics.CreateGauge(
        "dflare_workflow_runs", "Runs in the store by state, as of the last scrape.", "state");
}
