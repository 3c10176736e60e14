using System.Net.Http.Json;
using System.Text.Json;
using Dflare.Client.Api;

namespace Dflare.Client.Identity;

/// <summary>Where a client's bearer token comes from; <c>refresh</c> asks for a new one (the last was refused).</summary>
public interface ICredential
{
    ValueTask<string> TokenAsync(HttpClient http, bool refresh, CancellationToken cancellationToken);
}

/// <summary>A token used as it is: the bootstrap credential, or an access token from elsewhere.</summary>
public sealed class StaticCredential(string token) : ICredential
{
    public ValueTask<string> TokenAsync(HttpClient http, bool refresh, CancellationToken cancellationToken) => ValueTask.FromResult(token);
}

/// <summary>Tokens as a sign-in left them, with when the access token expires.</summary>
public sealed record TokenSet(string AccessToken, string? RefreshToken, DateTimeOffset ExpiresAt)
{
    public static TokenSet From(SignIn signIn, DateTimeOffset now) => new(signIn.AccessToken, signIn.RefreshToken, now.AddSeconds(signIn.ExpiresIn));
}

/// <summary>The realm's token endpoint: <c>{issuer}/protocol/openid-connect/token</c>.</summary>
public static class TokenEndpoint
{
    public static Uri For(Uri issuer) => new(issuer.ToString().TrimEnd('/') + "/protocol/openid-connect/token");

    /// <summary>Posts a grant; answers the tokens or throws <see cref="DflareApiException"/> with the OAuth error as its code.</summary>
    public static async Task<SignIn> GrantAsync(HttpClient http, Uri issuer, IDictionary<string, string> form, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsync(For(issuer), new FormUrlEncodedContent(form), cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        JsonElement body = default;
        try
        {
            body = JsonDocument.Parse(text).RootElement;
        }
        catch (JsonException)
        {
            // Not JSON: reported below with the text.
        }
        if (!response.IsSuccessStatusCode || body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("access_token", out _))
        {
            throw new DflareApiException(ApiProblem.From((int)response.StatusCode, body.ValueKind == JsonValueKind.Object ? System.Text.Json.Nodes.JsonNode.Parse(text) : null, text));
        }
        return new SignIn(body.GetProperty("access_token").GetString()!,
            body.TryGetProperty("refresh_token", out var r) ? r.GetString() : null, body.GetProperty("expires_in").GetInt32());
    }
}

public static class TokenRefresh
{
    /// <summary>The refresh-token grant for a public client; a refresh token the realm no longer takes (expired,
    /// revoked, already spent) is a 401 <c>session-expired</c>: the person signs in again.</summary>
    public static async Task<TokenSet> RunAsync(HttpClient http, Uri issuer, string clientId, string refreshToken, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var form = new Dictionary<string, string> { ["grant_type"] = "refresh_token", ["client_id"] = clientId, ["refresh_token"] = refreshToken };
        try
        {
            return TokenSet.From(await TokenEndpoint.GrantAsync(http, issuer, form, cancellationToken), now);
        }
        catch (DflareApiException ex) when (ex.Code is "invalid_grant" or "invalid_client")
        {
            throw new DflareApiException(new ApiProblem(401, "session-expired", "The sign-in has expired.", $"The sign-in has expired ({ex.Problem.Detail ?? ex.Code}); sign in again.", [], null));
        }
    }
}

/// <summary>A service account's tokens from the client-credentials grant, fetched again shortly before they expire.</summary>
public sealed class ClientCredentials(Uri issuer, string clientId, string clientSecret, TimeProvider? time = null) : ICredential
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private TokenSet? _tokens;

    public async ValueTask<string> TokenAsync(HttpClient http, bool refresh, CancellationToken cancellationToken)
    {
        if (refresh || _tokens is null || _tokens.ExpiresAt - TimeSpan.FromSeconds(30) <= _time.GetUtcNow())
        {
            var form = new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = clientSecret };
            _tokens = TokenSet.From(await TokenEndpoint.GrantAsync(http, issuer, form, cancellationToken), _time.GetUtcNow());
        }
        return _tokens.AccessToken;
    }
}

/// <summary>
/// A person's session from a sign-in: the access token until shortly before it expires, then a new one from the
/// refresh token. Refresh tokens rotate (each is spent once), so every new set goes to <paramref name="saved"/>
/// before it is used: a CLI that keeps an old one would be signed out on its next run.
/// </summary>
public sealed class RefreshingCredential(Uri issuer, string clientId, TokenSet tokens, Func<TokenSet, CancellationToken, Task> saved, TimeProvider? time = null) : ICredential
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private TokenSet _tokens = tokens;

    public async ValueTask<string> TokenAsync(HttpClient http, bool refresh, CancellationToken cancellationToken)
    {
        var expiring = _tokens.ExpiresAt - TimeSpan.FromSeconds(30) <= _time.GetUtcNow();
        if ((refresh || expiring) && _tokens.RefreshToken is { } refreshToken)
        {
            _tokens = await TokenRefresh.RunAsync(http, issuer, clientId, refreshToken, _time.GetUtcNow(), cancellationToken);
            await saved(_tokens, cancellationToken);
        }
        return _tokens.AccessToken;
    }
}
