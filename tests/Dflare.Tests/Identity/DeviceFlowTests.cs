using System.Net;
using System.Text.RegularExpressions;
using Dflare.Client.Identity;
using Dflare.Core.Identity;
using Dflare.Persistence.Store;
using Dflare.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dflare.Tests.Identity;

/// <summary>
/// RFC 8628 end to end: the terminal client (<see cref="DeviceLogin"/>, what <c>dflare login</c> runs) prints a code,
/// a person approves it on the realm's page in a "browser", and the terminal gets tokens that work on the API.
/// </summary>
public sealed partial class DeviceFlowTests : IAsyncLifetime
{
    private IdentityWorld _world = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _world = await IdentityWorld.StartAsync();
        await _world.CreateTenantAsync("acme", "research");
        await _world.CreateUserAsync("acme", "alice", BuiltInRoles.Member);
    }

    public async ValueTask DisposeAsync() => await _world.DisposeAsync();

    [Fact]
    public async Task ATerminal_SignsIn_WhenItsUserApprovesTheCodeInABrowser()
    {
        var terminal = new CapturingWriter();
        using var http = new HttpClient();
        var login = new DeviceLogin(http).RunAsync(Issuer(), "dflare-cli", terminal, Ct);

        var (page, code) = await ShownAsync(terminal);
        using var browser = new HttpClient { BaseAddress = new Uri(page) };
        var form = await browser.GetAsync($"{page}?user_code={code}", Ct);
        Assert.Equal(HttpStatusCode.OK, form.StatusCode);
        Assert.Contains($"value=\"{code}\"", await form.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        var wrong = await ApproveAsync(browser, code, "wrong password here");
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        var approved = await ApproveAsync(browser, code, IdentityWorld.Password);
        Assert.Equal(HttpStatusCode.OK, approved.StatusCode);

        var signIn = await login;
        Assert.NotNull(signIn.RefreshToken);
        Assert.Contains("Signed in.", terminal.Text, StringComparison.Ordinal);
        using var api = _world.ClientWith(signIn.AccessToken);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/v1/tenants/acme/projects", Ct)).StatusCode);
        // The code is spent: approving it again is refused.
        Assert.Equal(HttpStatusCode.BadRequest, (await ApproveAsync(browser, code, IdentityWorld.Password)).StatusCode);
    }

    [Fact]
    public async Task ARefusal_EndsTheTerminalsWait_WithAccessDenied()
    {
        var terminal = new CapturingWriter();
        using var http = new HttpClient();
        var login = new DeviceLogin(http).RunAsync(Issuer(), "dflare-cli", terminal, Ct);
        var (page, code) = await ShownAsync(terminal);
        using var browser = new HttpClient { BaseAddress = new Uri(page) };
        Assert.Equal(HttpStatusCode.OK, (await ApproveAsync(browser, code, IdentityWorld.Password, "deny")).StatusCode);

        var error = await Assert.ThrowsAsync<SignInException>(() => login);
        Assert.Equal("access_denied", error.Error);
    }

    [Fact]
    public async Task AnExpiredCode_AndAnUnknownClient_AreRefused()
    {
        var start = await _world.Server.Anonymous.PostAsync("/realms/acme/protocol/openid-connect/auth/device",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["client_id"] = "dflare-cli" }), Ct);
        var deviceCode = (string)(await start.ReadAsync())["device_code"]!;
        await using (var scope = _world.Server.Server.App.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<DflareDbContext>();
            await db.DeviceAuthorizations.ExecuteUpdateAsync(s => s.SetProperty(d => d.ExpiresAt, DateTimeOffset.UtcNow.AddSeconds(-1)), Ct);
        }
        var poll = await _world.TokenAsync("acme", new() { ["grant_type"] = DeviceLogin.GrantType, ["device_code"] = deviceCode, ["client_id"] = "dflare-cli" });
        Assert.Equal("expired_token", (string)(await poll.ReadAsync())["error"]!);

        var unknown = await _world.Server.Anonymous.PostAsync("/realms/acme/protocol/openid-connect/auth/device",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["client_id"] = "someone-elses-app" }), Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        Assert.Equal("invalid_client", (string)(await unknown.ReadAsync())["error"]!);
    }

    [Fact]
    public async Task PollingFasterThanTheInterval_IsToldToSlowDown()
    {
        var start = await _world.Server.Anonymous.PostAsync("/realms/acme/protocol/openid-connect/auth/device",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["client_id"] = "dflare-cli" }), Ct);
        var deviceCode = (string)(await start.ReadAsync())["device_code"]!;
        var form = new Dictionary<string, string> { ["grant_type"] = DeviceLogin.GrantType, ["device_code"] = deviceCode, ["client_id"] = "dflare-cli" };
        Assert.Equal("authorization_pending", (string)(await (await _world.TokenAsync("acme", form)).ReadAsync())["error"]!);
        Assert.Equal("slow_down", (string)(await (await _world.TokenAsync("acme", form)).ReadAsync())["error"]!);
    }

    private Uri Issuer() => new($"{_world.Server.Server.BaseAddress.ToString().TrimEnd('/')}/realms/acme");

    private static async Task<(string Page, string Code)> ShownAsync(CapturingWriter terminal)
    {
        var match = await Poll.UntilAsync(_ => Task.FromResult(CodeLine().Match(terminal.Text) is { Success: true } m ? m : null),
            TimeSpan.FromSeconds(20), "the terminal to show a code");
        return (match.Groups["page"].Value, match.Groups["code"].Value);
    }

    private static Task<HttpResponseMessage> ApproveAsync(HttpClient browser, string code, string password, string action = "approve") =>
        browser.PostAsync(browser.BaseAddress, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["user_code"] = code, ["username"] = "alice", ["password"] = password, ["action"] = action,
        }), Ct);

    [GeneratedRegex(@"open (?<page>\S+/device) and enter the code (?<code>[A-Z]{4}-[A-Z]{4})")]
    private static partial Regex CodeLine();
}
