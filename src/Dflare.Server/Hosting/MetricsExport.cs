using Prometheus;

namespace Dflare.Server.Hosting;

/// <summary>prometheus-net publishes every .NET meter; this keeps the runtime's private diagnostics meters out and
/// starts listening before the first request.</summary>
internal static class MetricsExport
{
    private static readonly Lazy<bool> Configured = new(() =>
    {
        Metrics.ConfigureMeterAdapter(o => o.InstrumentFilterPredicate = instrument =>
            !instrument.Meter.Name.StartsWith("Private.", StringComparison.Ordinal));
        // The adapters start with the default registry; start it now, or measurements made before the first scrape
        // are lost.
        return Metrics.DefaultRegistry is not null;
    });

    /// <summary>Idempotent: the adapter is process-wide, so it is configured once for every embedded server.</summary>
    public static void EnsureConfigured() => _ = Configured.Value;
}
