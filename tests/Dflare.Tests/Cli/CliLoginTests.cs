using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Dflare.Cli;
using Dflare.Tests.Infrastructure;

namespace Dflare.Tests.Cli;

/// <summary><c>dflare login</c> by the device flow, by client credentials and by token; contexts; logout.</summary>
[Collection(FleetCollection.Name)]
public sealed partial class CliLoginTests(FleetWorld world)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A tenant with a user holding <paramref name="role"/>, signed in through <c>dflare login</c>'s device flow.</summary>
    public static async Task<CliRunner> TenantUserAsync(FleetWorld world, string tenant, string role)
    {
        await world.Cluster.TenantAsync(tenant);
        var admin = world.Cluster.Admin;
        Assert.Equal(HttpStatusCode.Created, (await admin.PostJsonAsync($"/api/v1/realms/{tenant}/users", """{"name":"ada","password":"a long passphrase here"}""")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await admin.PostJsonAsync($"/api/v1/realms/{tenant}/role-bindings",
            $$"""{"name":"ada-{{role}}","subject":{"kind":"User","name":"ada"},"role":"{{role}}"}""")).StatusCode);
        var cli = world.NewCli();
        var result = await DeviceLoginAsync(world, cli, tenant, "ada", "a long passphrase here", approve: true);
        Assert.True(result.ExitCode == 0, result.ToString());
        return cli;
    }

    /// <summary>Runs <c>dflare login --realm</c>, and, when it prints its code, approves (or denies) it on the realm's page as a person would.</summary>
    private static async Task<CliResult> DeviceLoginAsync(FleetWorld world, CliRunner cli, string realm, string user, string password, bool approve)
    {
        var output = new CapturingWriter();
        var login = cli.RunAsync(["login", "--server", world.Url, "--realm", realm], output, Ct);
        var code = await Poll.UntilAsync(_ => Task.FromResult(UserCode().Match(output.Text) is { Success: true } m ? m.Groups[1].Value : null),
            TimeSpan.FromSeconds(30), "the device code on the terminal");
        using var page = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["user_code"] = code, ["username"] = user, ["password"] = password, ["action"] = approve ? "approve" : "deny",
        });
        var approved = await world.Cluster.Server.Anonymous.PostAsync($"/realms/{realm}/device", page, Ct);
        Assert.Equal(HttpStatusCode.OK, approved.StatusCode);
        return await login;
    }

    [Fact]
    public async Task DeviceLogin_ApprovedOnTheRealmsPage_SavesATenantContext_WhoseTokensRefresh()
    {
        var cli = await TenantUserAsync(world, "devflow", "tenant-admin");

        var contexts = (await cli.OkAsync("config", "get-contexts")).Out;
        Assert.Matches(@"\*\s+devflow\s+http://127\.0\.0\.1:\d+\s+devflow\s+devflow", contexts);
        Assert.Equal("devflow\n", (await cli.OkAsync("config", "current-context")).Out);
        var tokenFile = Path.Combine(cli.ConfigDirectory, "tokens", "devflow.json");
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(tokenFile));
        }
        var saved = JsonNode.Parse(File.ReadAllText(tokenFile))!;
        Assert.NotNull((string?)saved["refreshToken"]);

        // The tenant works in its own tenant without naming it.
        Assert.Equal("No clusters found.\n", (await cli.OkAsync("get", "clusters")).Out);

        // An expired access token is refreshed with the refresh token, and the rotated pair is saved.
        saved["expiresAt"] = DateTimeOffset.UtcNow.AddMinutes(-1).ToString("O");
        File.WriteAllText(tokenFile, saved.ToJsonString());
        await cli.OkAsync("get", "projects");
        var rotated = JsonNode.Parse(File.ReadAllText(tokenFile))!;
        Assert.NotEqual((string?)saved["refreshToken"], (string?)rotated["refreshToken"]);
        Assert.True(DateTimeOffset.Parse((string)rotated["expiresAt"]!, System.Globalization.CultureInfo.InvariantCulture) > DateTimeOffset.UtcNow);

        // Logging out revokes the sign-in: the saved refresh token no longer works anywhere.
        Assert.Equal("Signed out of context 'devflow'.\n", (await cli.OkAsync("logout")).Out);
        Assert.False(File.Exists(tokenFile));
        using var refresh = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token", ["client_id"] = "dflare-cli", ["refresh_token"] = (string)rotated["refreshToken"]!,
        });
        Assert.Equal(HttpStatusCode.BadRequest, (await world.Cluster.Server.Anonymous.PostAsync("/realms/devflow/protocol/openid-connect/token", refresh, Ct)).StatusCode);
        Assert.Equal(ExitCodes.Unauthorized, (await cli.RunAsync("get", "clusters")).ExitCode);
    }

    [Fact]
    public async Task DeviceLogin_DeniedOnThePage_SavesNothing()
    {
        await world.Cluster.TenantAsync("denied");
        Assert.Equal(HttpStatusCode.Created, (await world.Cluster.Admin.PostJsonAsync("/api/v1/realms/denied/users", """{"name":"bo","password":"a long passphrase here"}""")).StatusCode);
        var cli = world.NewCli();
        var result = await DeviceLoginAsync(world, cli, "denied", "bo", "a long passphrase here", approve: false);
        Assert.Equal(ExitCodes.Unauthorized, result.ExitCode);
        Assert.Matches(@"^error: sign-in refused: access_denied", result.Error);
        Assert.False(File.Exists(Path.Combine(cli.ConfigDirectory, "config.json")));
    }

    [Fact]
    public async Task ClientCredentials_SignInAServiceAccount()
    {
        await world.Cluster.TenantAsync("robots");
        var created = await (await world.Cluster.Admin.PostJsonAsync("/api/v1/realms/robots/service-accounts", """{"name":"ci"}""")).ReadAsync();
        var secret = (string)created["clientSecret"]!;
        Assert.Equal(HttpStatusCode.Created, (await world.Cluster.Admin.PostJsonAsync("/api/v1/realms/robots/role-bindings",
            """{"name":"ci-viewer","subject":{"kind":"ServiceAccount","name":"ci"},"role":"viewer"}""")).StatusCode);
        var cli = world.NewCli();
        var login = await cli.OkAsync("login", "--server", world.Url, "--realm", "robots", "--client-id", "ci", "--client-secret", secret);
        Assert.Contains("as robots/ci (viewer); context 'robots' is current", login.Out, StringComparison.Ordinal);
        Assert.Equal("No volumes found.\n", (await cli.OkAsync("get", "volumes")).Out);

        var wrong = await world.NewCli().RunAsync("login", "--server", world.Url, "--realm", "robots", "--client-id", "ci", "--client-secret", "not-it");
        Assert.Equal(ExitCodes.Unauthorized, wrong.ExitCode);
        Assert.Matches(@"\(invalid_client\)", wrong.Error);
    }

    [Fact]
    public async Task Contexts_AreCreatedSwitchedAndDeleted_AndFlagsOverrideThem()
    {
        var cli = await world.AdminAsync("ctx-a");
        await world.Cluster.TenantAsync("ctx-a");
        await world.Cluster.TenantAsync("ctx-b");
        Assert.Equal("Context 'other' created.\n", (await cli.OkAsync("config", "set-context", "other", "--server", world.Url, "--tenant", "ctx-b")).Out);
        Assert.Equal("Switched to context 'other'.\n", (await cli.OkAsync("config", "use-context", "other")).Out);
        // 'other' has no credential of its own: the server refuses it.
        Assert.Equal(ExitCodes.Unauthorized, (await cli.RunAsync("get", "projects")).ExitCode);
        // --context picks another for one command; --tenant another tenant.
        var projects = (await cli.OkAsync("get", "projects", "--context", "platform", "--tenant", "ctx-b", "-o", "name")).Out;
        Assert.Equal("project/research\n", projects);
        Assert.Equal("Context 'other' deleted.\n", (await cli.OkAsync("config", "delete-context", "other")).Out);
        Assert.Equal(ExitCodes.NotFound, (await cli.RunAsync("config", "current-context")).ExitCode);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(cli.ConfigDirectory, "config.json")))!;
        Assert.Null(config["contexts"]!["other"]);
        Assert.Equal("ctx-a", (string?)config["contexts"]!["platform"]!["tenant"]);
    }

    [Fact]
    public async Task ASavedCredential_GoesOnlyToItsOwnServer()
    {
        var cli = await world.AdminAsync();
        // The same server under another name is another server to the CLI: the context's credential stays home.
        var elsewhere = world.Url.Replace("127.0.0.1", "localhost", StringComparison.Ordinal);
        var result = await cli.RunAsync("get", "nodes", "--server", elsewhere);
        Assert.Equal(ExitCodes.Unauthorized, result.ExitCode);
        Assert.Contains("(unauthenticated)", result.Error, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Ok, (await cli.RunAsync("get", "nodes", "--server", world.Url, "-o", "name")).ExitCode);
    }

    [Fact]
    public async Task ADamagedTokenFile_SaysSignInAgain_InOneLine()
    {
        var cli = await world.AdminAsync();
        await File.WriteAllTextAsync(Path.Combine(cli.ConfigDirectory, "tokens", "platform.json"), "{not json", Ct);
        var result = await cli.RunAsync("get", "nodes");
        Assert.Equal(ExitCodes.Unauthorized, result.ExitCode);
        Assert.Matches(@"^error: .*platform\.json cannot be read .*sign in again with dflare login\.\n$", result.Error);
    }

    [GeneratedRegex(@"enter the code ([A-Z0-9]{4}-[A-Z0-9]{4})")]
    private static partial Regex UserCode();
}
