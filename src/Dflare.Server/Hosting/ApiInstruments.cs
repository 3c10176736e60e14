using Prometheus;

namespace Dflare.Server.Hosting;

/// <summary>
/// The API's own metrics on /metrics, next to ASP.NET Core's and the runtime's (which prometheus-net's meter adapter
/// republishes). Ours are prometheus-net collectors rather than System.Diagnostics.Metrics instruments: the adapter
/// did not reliably pick up instruments created after it started, and a metric that silently never appears is worse
/// than a second API. Process-wide, like the registry they live in.
/// </summary>
public static class ApiInstruments
{
    private static readonly Counter Problems = Metrics.CreateCounter(
        "dflare_api_problems_total", "Problem documents answered, by code and HTTP status.", "code", "status");

    public static void CountProblem(string code, int status) =>
        Problems.WithLabels(code, status.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
}
