using System.Diagnostics.Metrics;

namespace Dflare.Server.Hosting;

/// <summary>The API's own metrics, exported on /metrics next to ASP.NET Core's and the runtime's. The meter is named
/// per capability and instruments briefly, so Prometheus sees <c>dflare_api_problems</c>.</summary>
public sealed class ApiInstruments : IDisposable
{
    public const string MeterName = "Dflare.Api";
    private readonly Meter _meter;
    private readonly Counter<long> _problems;

    public ApiInstruments(IMeterFactory meters)
    {
        _meter = meters.Create(MeterName);
        _problems = _meter.CreateCounter<long>("problems", unit: "{problem}",
            description: "Problem documents answered, by code and status.");
    }

    public void CountProblem(string code, int status) =>
        _problems.Add(1, new KeyValuePair<string, object?>("code", code), new KeyValuePair<string, object?>("status", status));

    public void Dispose() => _meter.Dispose();
}
