namespace Dflare.Client.Api;

/// <summary>The server refused a request; <see cref="Problem"/> says why, with a stable code.</summary>
public sealed class DflareApiException(ApiProblem problem) : Exception(problem.ToString())
{
    public ApiProblem Problem { get; } = problem;

    public int Status => Problem.Status;

    public string Code => Problem.Code;
}
