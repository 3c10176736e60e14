using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;

namespace Dflare.Server.Api.Problems;

/// <summary>Writes a problem document through <see cref="IProblemDetailsService"/>, so every problem gets the same
/// instance and correlation id, whether a handler, the pipeline or an exception produced it.</summary>
internal sealed class ProblemResult(ProblemDetails problem) : IResult, IStatusCodeHttpResult
{
    public ProblemDetails ProblemDetails => problem;

    public int? StatusCode => problem.Status;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.StatusCode = problem.Status ?? StatusCodes.Status500InternalServerError;
        var service = httpContext.RequestServices.GetRequiredService<IProblemDetailsService>();
        await service.WriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem });
    }
}
