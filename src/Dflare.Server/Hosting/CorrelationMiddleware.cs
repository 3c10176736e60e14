using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Dflare.Server.Hosting;

/// <summary>
/// Gives every request a correlation id (the caller's <c>X-Correlation-Id</c> when it is sane, else the trace id),
/// puts it in the logging scope, the response header and every problem document, and logs one line per request.
/// </summary>
internal sealed partial class CorrelationMiddleware(RequestDelegate next, ILogger<CorrelationMiddleware> logger)
{
    public const string HeaderName = "X-Correlation-Id";

    public async Task InvokeAsync(HttpContext http)
    {
        var id = http.Request.Headers[HeaderName].ToString();
        if (!IsAcceptable(id))
        {
            id = Activity.Current?.TraceId.ToHexString() ?? Guid.NewGuid().ToString("N");
        }
        http.TraceIdentifier = id;
        http.Response.Headers[HeaderName] = id;
        using var scope = logger.BeginScope(new CorrelationScope(id));
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(http);
        }
        finally
        {
            var probe = IsRoutine(http.Request.Path, http.Response.StatusCode);
            if (logger.IsEnabled(probe ? LogLevel.Debug : LogLevel.Information))
            {
                var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                var path = http.Request.Path.Value ?? "/";
                if (probe)
                {
                    LogProbe(logger, http.Request.Method, path, http.Response.StatusCode, elapsed, id);
                }
                else
                {
                    LogRequest(logger, http.Request.Method, path, http.Response.StatusCode, elapsed, id);
                }
            }
        }
    }

    private static bool IsAcceptable(string id) =>
        id.Length is > 0 and <= 128 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    /// <summary>Probes, and machine traffic that succeeded (agents' heartbeats, booting nodes, simulated BMCs): logged at
    /// Debug, or a fleet's heartbeats would drown every request a person made.</summary>
    private static bool IsRoutine(PathString path, int status) =>
        path.StartsWithSegments("/healthz") || path.StartsWithSegments("/readyz") || path.StartsWithSegments("/metrics")
        || (status < 400 && (path.StartsWithSegments("/agent") || path.StartsWithSegments("/provisioning") || path.StartsWithSegments("/bmc")));

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "{Method} {Path} answered {StatusCode} in {ElapsedMs:F1} ms [{CorrelationId}]")]
    private static partial void LogRequest(ILogger logger, string method, string path, int statusCode, double elapsedMs, string correlationId);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Debug, Message = "{Method} {Path} answered {StatusCode} in {ElapsedMs:F1} ms [{CorrelationId}]")]
    private static partial void LogProbe(ILogger logger, string method, string path, int statusCode, double elapsedMs, string correlationId);

    /// <summary>The logging scope: structured (<c>CorrelationId</c>) for JSON logs, readable as text.</summary>
    private sealed class CorrelationScope(string id) : IReadOnlyList<KeyValuePair<string, object>>
    {
        public int Count => 1;

        public KeyValuePair<string, object> this[int index] =>
            index == 0 ? new KeyValuePair<string, object>("CorrelationId", id) : throw new ArgumentOutOfRangeException(nameof(index));

        public IEnumerator<KeyValuePair<string, object>> GetEnumerator()
        {
            yield return this[0];
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => $"CorrelationId:{id}";
    }
}
