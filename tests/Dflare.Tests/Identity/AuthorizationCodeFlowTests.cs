using System.Net;
using System.Security.Cryptography;
using System.Text;
using Dflare.Tests.Infrastructure;
using Microsoft.IdentityModel.Tokens;

namespace Dflare.Tests.Identity;

/// <summary>
/// The authorization code flow with PKCE the portal signs in with, at the protocol level: codes go only to the
/// portal's callback on this server, need the verifier, work once and only for the realm and redirect they were issued
/// for; a page never redirects to an address it did not check.
/// </summary>
public sealed class AuthorizationCodeFlowTests : IAsyncLifetime
{
    private const string Verifier = "a-verifier-of-at-least-forty-three-characters-long-0123456789";
    private IdentityWorld _world = null!;
    private HttpClient _browser = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Callback => _world.Server.Server.BaseAddress.ToString().TrimEnd('/') + "/portal/signin/callback";

    public async ValueTask InitializeAsync()
    {
        _world = await IdentityWorld.StartAsync();
        await _world.CreateTenantAsync("acme", "research");
        await _world.CreateUserAsync("acme", "ana", "member");
        _browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = _world.Server.Server.BaseAddress };
    }

    public async ValueTask DisposeAsync()
    {
        _browser.Dispose();
        await _world.DisposeAsync();
    }

    private static string Challenge(string verifier) => Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));

    private Dictionary<string, string> Request(string? redirect = null, string clientId = "dflare-portal", string? challenge = null) => new()
    {
        ["response_type"] = "code", ["client_id"] = clientId, ["redirect_uri"] = redirect ?? Callback, ["state"] = "s-123",
        ["code_challenge"] = challenge ?? Challenge(Verifier), ["code_challenge_method"] = "S256",
    };

    private async Task<HttpResponseMessage> SignInAsync(Dictionary<string, string> request, string user = "ana", string password = IdentityWorld.Password, string realm = "acme")
    {
        var form = new Dictionary<string, string>(request) { ["username"] = user, ["password"] = password, ["action"] = "signin" };
        return await _browser.PostAsync($"/realms/{realm}/protocol/openid-connect/auth", new FormUrlEncodedContent(form), Ct);
    }

    private async Task<HttpResponseMessage> RedeemAsync(string code, string verifier = Verifier, string? redirect = null, string realm = "acme") =>
        await _browser.PostAsync($"/realms/{realm}/protocol/openid-connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code", ["client_id"] = "dflare-portal", ["code"] = code, ["code_verifier"] = verifier, ["redirect_uri"] = redirect ?? Callback,
        }), Ct);

    private static string CodeOf(HttpResponseMessage signedIn)
    {
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        var query = System.Web.HttpUtility.ParseQueryString(signedIn.Headers.Location!.Query);
        Assert.Equal("s-123", query["state"]);
        return query["code"]!;
    }

    [Fact]
    public async Task ASignIn_RedirectsWithACode_ThatTheVerifierExchangesOnce()
    {
        var page = await _browser.GetAsync("/realms/acme/protocol/openid-connect/auth?" + string.Join('&', Request().Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value)}")), Ct);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("Sign in to acme", await page.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        var signedIn = await SignInAsync(Request());
        Assert.StartsWith(Callback + "?", signedIn.Headers.Location!.ToString(), StringComparison.Ordinal);
        var code = CodeOf(signedIn);

        var tokens = await RedeemAsync(code);
        Assert.Equal(HttpStatusCode.OK, tokens.StatusCode);
        var body = await tokens.ReadAsync();
        Assert.NotNull((string?)body["access_token"]);
        Assert.NotNull((string?)body["refresh_token"]);

        var again = await RedeemAsync(code);
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
        Assert.Equal("invalid_grant", (string?)(await again.ReadAsync())["error"]);
    }

    [Fact]
    public async Task TheWrongVerifier_RedirectOrRealm_GetsNoTokens()
    {
        var code = CodeOf(await SignInAsync(Request()));
        Assert.Equal("invalid_grant", (string?)(await (await RedeemAsync(code, verifier: "another-verifier-of-at-least-forty-three-characters-xx")).ReadAsync())["error"]);
        Assert.Equal("invalid_grant", (string?)(await (await RedeemAsync(code, redirect: "http://127.0.0.1:1/portal/signin/callback")).ReadAsync())["error"]);
        await _world.CreateTenantAsync("other");
        Assert.Equal("invalid_grant", (string?)(await (await RedeemAsync(code, realm: "other")).ReadAsync())["error"]);
        // None of those spent it: the right verifier, redirect and realm still work.
        Assert.Equal(HttpStatusCode.OK, (await RedeemAsync(code)).StatusCode);
    }

    [Theory]
    [InlineData("https://evil.example/portal/signin/callback", "dflare-portal")]
    [InlineData("{self}/elsewhere", "dflare-portal")]
    [InlineData("{self}/portal/signin/callback?next=x", "dflare-portal")]
    [InlineData("{self}/portal/signin/callback", "dflare-cli")]
    public async Task AnUncheckedRedirectOrClient_GetsAnErrorPage_NeverARedirect(string redirect, string client)
    {
        var request = Request(redirect.Replace("{self}", _world.Server.Server.BaseAddress.ToString().TrimEnd('/'), StringComparison.Ordinal), client);
        var page = await _browser.GetAsync("/realms/acme/protocol/openid-connect/auth?" + string.Join('&', request.Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value)}")), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, page.StatusCode);
        Assert.Null(page.Headers.Location);
        var signedIn = await SignInAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, signedIn.StatusCode);
        Assert.Null(signedIn.Headers.Location);
    }

    [Fact]
    public async Task WithoutPkce_OrWithAWrongPassword_NoCodeIsIssued()
    {
        var noPkce = Request();
        noPkce.Remove("code_challenge");
        var refused = await SignInAsync(noPkce);
        Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
        Assert.Contains("error=invalid_request", refused.Headers.Location!.Query, StringComparison.Ordinal);
        Assert.DoesNotContain("code=", refused.Headers.Location!.Query, StringComparison.Ordinal);

        var wrong = await SignInAsync(Request(), password: "not it");
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Contains("The user name or password is wrong.", await wrong.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        var cancelled = await _browser.PostAsync("/realms/acme/protocol/openid-connect/auth",
            new FormUrlEncodedContent(new Dictionary<string, string>(Request()) { ["action"] = "cancel" }), Ct);
        Assert.Contains("error=access_denied", cancelled.Headers.Location!.Query, StringComparison.Ordinal);

        var discovery = await (await _browser.GetAsync("/realms/acme/.well-known/openid-configuration", Ct)).ReadAsync();
        Assert.EndsWith("/realms/acme/protocol/openid-connect/auth", (string)discovery["authorization_endpoint"]!, StringComparison.Ordinal);
        Assert.Contains("S256", discovery["code_challenge_methods_supported"]!.AsArray().Select(m => (string)m!));
        Assert.Contains("authorization_code", discovery["grant_types_supported"]!.AsArray().Select(m => (string)m!));
    }
}
