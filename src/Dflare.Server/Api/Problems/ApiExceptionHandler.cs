using System.Data.Common;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Dflare.Server.Api.Problems;

/// <summary>Turns what escaped a handler into a problem document: a bad request as 400/413, a store that does not
/// answer as 503 with Retry-After, anything else as 500. Nothing of the exception leaks to the client.</summary>
internal sealed partial class ApiExceptionHandler(ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        Microsoft.AspNetCore.Mvc.ProblemDetails problem;
        switch (exception)
        {
            case BadHttpRequestException bad when bad.StatusCode == StatusCodes.Status413PayloadTooLarge:
                problem = Problem.Create(bad.StatusCode, ProblemCodes.PayloadTooLarge, "The body is too large.", bad.Message);
                break;
            case BadHttpRequestException bad:
                problem = Problem.Create(bad.StatusCode, ProblemCodes.BadRequest, "The request is not valid.", bad.Message);
                break;
            case var _ when IsStoreFailure(exception):
                LogStoreUnavailable(logger, exception);
                httpContext.Response.Headers.RetryAfter = "5";
                problem = Problem.Create(StatusCodes.Status503ServiceUnavailable, ProblemCodes.StoreUnavailable,
                    "The state store is not answering.", "Nothing was changed. Retry in a few seconds.");
                break;
            default:
                LogUnhandled(logger, exception);
                problem = Problem.Create(StatusCodes.Status500InternalServerError, ProblemCodes.InternalError,
                    "The server failed.", "The failure is logged under this correlation id.");
                break;
        }
        await new ProblemResult(problem).ExecuteAsync(httpContext);
        return true;
    }

    // EF Core wraps some provider failures (a refused connection) in InvalidOperationException.
    private static bool IsStoreFailure(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is DbException or TimeoutException or System.Net.Sockets.SocketException)
            {
                return true;
            }
        }
        return false;
    }

    [LoggerMessage(EventId = 3101, Level = LogLevel.Error, Message = "Unhandled exception")]
    private static partial void LogUnhandled(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Warning, Message = "The state store did not answer")]
    private static partial void LogStoreUnavailable(ILogger logger, Exception exception);
}
