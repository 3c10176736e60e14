using Microsoft.AspNetCore.Http;

namespace Dflare.Server.Api.Identity;

/// <summary>
/// OAuth endpoints answer errors the way OAuth clients read them (RFC 6749 §5.2: <c>error</c> and
/// <c>error_description</c>), not as problem documents.
/// </summary>
internal static class OAuthError
{
    public static IResult Of(string error, string description, int status = StatusCodes.Status400BadRequest) =>
        TypedResults.Json(new Dictionary<string, string> { ["error"] = error, ["error_description"] = description }, statusCode: status);

    public static IResult InvalidClient(string description) => Of("invalid_client", description, StatusCodes.Status401Unauthorized);
}
