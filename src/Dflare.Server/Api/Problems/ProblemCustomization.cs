using Dflare.Server.Hosting;
using Microsoft.AspNetCore.Http;

namespace Dflare.Server.Api.Problems;

/// <summary>The last touch on every problem document: instance, correlation id, and a code for those the framework
/// wrote itself (an unknown route, a wrong method).</summary>
internal static class ProblemCustomization
{
    public static void Apply(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        var status = problem.Status ?? context.HttpContext.Response.StatusCode;
        if (!problem.Extensions.TryGetValue("code", out var codeValue) || codeValue is not string code)
        {
            code = status switch
            {
                StatusCodes.Status401Unauthorized => ProblemCodes.Unauthenticated,
                StatusCodes.Status403Forbidden => ProblemCodes.Forbidden,
                StatusCodes.Status404NotFound => ProblemCodes.RouteNotFound,
                StatusCodes.Status405MethodNotAllowed => ProblemCodes.MethodNotAllowed,
                StatusCodes.Status413PayloadTooLarge => ProblemCodes.PayloadTooLarge,
                StatusCodes.Status415UnsupportedMediaType => ProblemCodes.UnsupportedMediaType,
                >= 500 => ProblemCodes.InternalError,
                _ => ProblemCodes.BadRequest,
            };
            problem.Extensions["code"] = code;
            problem.Type = ProblemCodes.TypeUri(code);
            if (code == ProblemCodes.RouteNotFound)
            {
                problem.Detail ??= $"No endpoint at {context.HttpContext.Request.Path}; see /openapi/v1.json.";
            }
        }
        problem.Instance ??= context.HttpContext.Request.Path;
        problem.Extensions.Remove("traceId");
        problem.Extensions["correlationId"] = context.HttpContext.TraceIdentifier;
        ApiInstruments.CountProblem(code, status);
    }
}
