using System.Net.Http.Json;
using System.Text.Json;

namespace Dflare.Client.Identity;

/// <summary>Tokens a sign-in produced.</summary>
public sealed record SignIn(string AccessToken, string? RefreshToken, int ExpiresIn);

/// <summary>Why a device sign-in ended without tokens: the OAuth error and its description.</summary>
public sealed class SignInException(string error, string description) : Exception($"{error}: {description}")
{
    public string Error { get; } = error;
}

/// <summary>
/// <c>dflare login</c>'s sign-in (RFC 8628): asks the realm for a device code, tells the person at the terminal where
/// to go and which code to enter, then polls the token endpoint at the interval the server asks for (slowing down
/// when told) until the person approves, refuses, or the code expires.
/// </summary>
public sealed class DeviceLogin(HttpClient http, TimeProvider? time = null)
{
    public const string GrantType = "urn:ietf:params:oauth:grant-type:device_code";
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>Signs in to the realm whose issuer is <paramref name="issuer"/> (e.g. <c>https://dflare.example.com/realms/acme</c>)
    /// as <paramref name="clientId"/>, talking to the person on <paramref name="terminal"/>.</summary>
    public async Task<SignIn> RunAsync(Uri issuer, string clientId, TextWriter terminal, CancellationToken cancellationToken)
    {
        var discovery = await http.GetFromJsonAsync<JsonElement>(new Uri(issuer.ToString().TrimEnd('/') + "/.well-known/openid-configuration"), cancellationToken);
        var deviceEndpoint = discovery.GetProperty("device_authorization_endpoint").GetString()!;
        var tokenEndpoint = discovery.GetProperty("token_endpoint").GetString()!;

        using var started = await http.PostAsync(deviceEndpoint, new FormUrlEncodedContent(new Dictionary<string, string> { ["client_id"] = clientId }), cancellationToken);
        var device = await started.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        if (!started.IsSuccessStatusCode)
        {
            throw Failure(device);
        }
        var userCode = device.GetProperty("user_code").GetString()!;
        await terminal.WriteLineAsync($"To sign in, open {device.GetProperty("verification_uri").GetString()} and enter the code {userCode}");
        await terminal.WriteLineAsync($"(or open {device.GetProperty("verification_uri_complete").GetString()})");
        await terminal.FlushAsync(cancellationToken);

        var interval = TimeSpan.FromSeconds(device.TryGetProperty("interval", out var i) ? i.GetInt32() : 5);
        var deadline = _time.GetUtcNow() + TimeSpan.FromSeconds(device.GetProperty("expires_in").GetInt32());
        var poll = new Dictionary<string, string> { ["grant_type"] = GrantType, ["device_code"] = device.GetProperty("device_code").GetString()!, ["client_id"] = clientId };
        while (_time.GetUtcNow() < deadline)
        {
            await Task.Delay(interval, _time, cancellationToken);
            using var response = await http.PostAsync(tokenEndpoint, new FormUrlEncodedContent(poll), cancellationToken);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                await terminal.WriteLineAsync("Signed in.");
                return new SignIn(
                    body.GetProperty("access_token").GetString()!,
                    body.TryGetProperty("refresh_token", out var refresh) ? refresh.GetString() : null,
                    body.GetProperty("expires_in").GetInt32());
            }
            switch (body.TryGetProperty("error", out var error) ? error.GetString() : null)
            {
                case "authorization_pending":
                    continue;
                case "slow_down":
                    interval += TimeSpan.FromSeconds(5); // RFC 8628 §3.5
                    continue;
                default:
                    throw Failure(body);
            }
        }
        throw new SignInException("expired_token", "The code expired before it was approved; run the sign-in again.");
    }

    private static SignInException Failure(JsonElement body) => new(
        body.TryGetProperty("error", out var e) ? e.GetString() ?? "error" : "error",
        body.TryGetProperty("error_description", out var d) ? d.GetString() ?? "" : "");
}
