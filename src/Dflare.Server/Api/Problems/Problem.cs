using Dflare.Core.Resources;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Dflare.Server.Api.Problems;

/// <summary>
/// Builds RFC 9457 problem documents: <c>type</c>, <c>title</c>, <c>status</c>, <c>detail</c>, <c>instance</c>, plus
/// Dflare's <c>code</c>, <c>errors</c> (field path, code, message) and <c>correlationId</c>.
/// </summary>
public static class Problem
{
    public static IResult Of(int status, string code, string title, string? detail = null, IReadOnlyList<FieldError>? errors = null) =>
        new ProblemResult(Create(status, code, title, detail, errors));

    public static ProblemDetails Create(int status, string code, string title, string? detail = null, IReadOnlyList<FieldError>? errors = null)
    {
        var problem = new ProblemDetails { Type = ProblemCodes.TypeUri(code), Title = title, Status = status, Detail = detail };
        problem.Extensions["code"] = code;
        if (errors is { Count: > 0 })
        {
            problem.Extensions["errors"] = errors;
        }
        return problem;
    }

    public static IResult Validation(IReadOnlyList<FieldError> errors) => Of(
        StatusCodes.Status422UnprocessableEntity, ProblemCodes.ValidationFailed, "The request is not valid.",
        errors.Count == 1 ? errors[0].Message : $"{errors.Count} fields are not valid; see errors.", errors);

    public static IResult NotFound(string kind, string name) => Of(
        StatusCodes.Status404NotFound, ProblemCodes.NotFound, $"{kind} not found.", $"{kind} '{name}' does not exist.");

    public static IResult BadQuery(string code, string parameter, string message) => Of(
        StatusCodes.Status400BadRequest, code, "A query parameter is not valid.", message,
        [new FieldError(parameter, code, message)]);

    public static IResult PreconditionFailed(string detail) => Of(
        StatusCodes.Status412PreconditionFailed, ProblemCodes.PreconditionFailed, "The object changed since you read it.", detail);
}
