using System.Net;
using System.Net.Http.Headers;
using Dflare.Server.Hosting;
using Dflare.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace Dflare.Tests.Server.Hosting;

/// <summary>dflare-server's commands and its configuration checks: every error names its setting; exit codes mean things.</summary>
public sealed class CommandLineTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await ServerCommandLine.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task CheckConfig_Defaults_AreValid()
    {
        using var directory = new TempDirectory();

        var (code, output, _) = await RunAsync("check-config", "--data-dir", directory.Path);

        Assert.Equal(0, code);
        Assert.Contains("valid", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--Store:Provider=Postgres", "Store:ConnectionString is required")]
    [InlineData("--Store:Provider=mysql", "Store:Provider")]
    [InlineData("--Store:Provder=Postgres", "Provder")]
    [InlineData("--Api:MaxPageSize=0", "Api:MaxPageSize must be from 1 to 10000")]
    [InlineData("--Api:DefaultPageSize=900", "Api:DefaultPageSize must be from 1 to Api:MaxPageSize")]
    [InlineData("--Server:Urls=ftp://host", "Server:Urls entry 'ftp://host'")]
    [InlineData("--Server:MaxRequestBodyBytes=10", "Server:MaxRequestBodyBytes")]
    [InlineData("--Bootstrap:AdminCredential=short", "Bootstrap:AdminCredential must be at least 32")]
    [InlineData("--Logging:Format=xml", "Logging:Format must be 'simple' or 'json'")]
    [InlineData("--Identity:AccessTokenMinutes=61", "Identity:AccessTokenMinutes must be from 1 to 60")]
    [InlineData("--Identity:PublicUrl=ftp://x", "Identity:PublicUrl must be an http or https address")]
    [InlineData("--Api:TokenRequestsPerMinute=-1", "Api:TokenRequestsPerMinute must be from 0")]
    [InlineData("--Volumes:ScanInterval=00:00:00", "Volumes:ScanInterval must be from 00:00:01")]
    [InlineData("--Volumes:DeletionGrace=-01:00:00", "Volumes:DeletionGrace must be from 00:00:00")]
    public async Task CheckConfig_InvalidSetting_Exits2NamingIt(string setting, string expected)
    {
        var (code, _, error) = await RunAsync("check-config", setting);

        Assert.Equal(ServerCommandLine.Usage, code);
        Assert.StartsWith("dflare-server: configuration error:", error, StringComparison.Ordinal);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckConfig_SeveralErrors_AreAllReported()
    {
        var (code, _, error) = await RunAsync("check-config", "--Api:MaxPageSize=0", "--Server:ShutdownTimeoutSeconds=0");

        Assert.Equal(ServerCommandLine.Usage, code);
        Assert.Contains("Api:MaxPageSize", error, StringComparison.Ordinal);
        Assert.Contains("Server:ShutdownTimeoutSeconds", error, StringComparison.Ordinal);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task SecretKeyFile_IsCreatedOwnerOnly_AndADamagedOneIsAConfigurationError()
    {
        using var directory = new TempDirectory();

        var (code, _, _) = await RunAsync("check-config", "--data-dir", directory.Path);
        var keyFile = Path.Combine(directory.Path, "secret-keys.json");
        var mode = File.GetUnixFileMode(keyFile);
        await File.WriteAllTextAsync(keyFile, "{not json", Ct);
        var damaged = await RunAsync("check-config", "--data-dir", directory.Path);
        var missing = await RunAsync("check-config", "--data-dir", directory.Path, "--Secrets:KeyFile=/nonexistent/keys.json");

        Assert.Equal(0, code);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
        Assert.Equal(ServerCommandLine.Usage, damaged.Code);
        Assert.Contains("is not a valid key file", damaged.Error, StringComparison.Ordinal);
        Assert.Equal(ServerCommandLine.Usage, missing.Code);
        Assert.Contains("Secrets:KeyFile", missing.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingConfigFile_Exits2()
    {
        var (code, _, error) = await RunAsync("check-config", "--config", "/nonexistent/dflare.json");

        Assert.Equal(ServerCommandLine.Usage, code);
        Assert.Contains("/nonexistent/dflare.json", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownCommand_Exits2()
    {
        var (code, _, error) = await RunAsync("serve-please");

        Assert.Equal(ServerCommandLine.Usage, code);
        Assert.Contains("unknown command 'serve-please'", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_ListsCommandsAndExitCodes()
    {
        var (code, output, _) = await RunAsync("help");

        Assert.Equal(0, code);
        Assert.Contains("migrate", output, StringComparison.Ordinal);
        Assert.Contains("Exit codes", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrate_AppliesOnce_ThenReportsCurrent()
    {
        using var directory = new TempDirectory();

        var first = await RunAsync("migrate", "--data-dir", directory.Path);
        var second = await RunAsync("migrate", "--data-dir", directory.Path);
        SqliteConnection.ClearAllPools();

        Assert.Equal(0, first.Code);
        Assert.Matches(@"Applied \d+ migration\(s\)", first.Output);
        Assert.Equal(0, second.Code);
        Assert.Contains("current", second.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrate_UnreachablePostgres_Exits3()
    {
        var (code, _, error) = await RunAsync("migrate", "--store", "Postgres", "--connection-string", "Host=127.0.0.1;Port=9;Username=x;Timeout=2");

        Assert.Equal(ServerCommandLine.StoreFailed, code);
        Assert.StartsWith("dflare-server: the store failed", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RotateAdminCredential_PrintsANewOne_ThatTheServerAccepts()
    {
        using var directory = new TempDirectory();
        var settings = new Dictionary<string, string?>
        {
            ["Server:Urls"] = "http://127.0.0.1:0", ["Agents:Url"] = "https://127.0.0.1:0", ["Simulation:Enabled"] = "false", ["Store:DataDirectory"] = directory.Path,
        };
        string original;
        await using (var first = await DflareServer.StartAsync([], settings, cancellationToken: Ct))
        {
            original = first.GeneratedAdminCredential!;
        }

        var (code, output, _) = await RunAsync("rotate-admin-credential", "--data-dir", directory.Path);
        var rotated = output.Trim().Split(' ')[^1];

        Assert.Equal(0, code);
        await using var server = await DflareServer.StartAsync([], settings, cancellationToken: Ct);
        Assert.Equal(HttpStatusCode.OK, await StatusWithAsync(server, rotated));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusWithAsync(server, original));
        SqliteConnection.ClearAllPools();
    }

    [Fact]
    public async Task ConfigFile_IsRead_AndCommandLineWinsOverIt()
    {
        using var directory = new TempDirectory();
        var file = Path.Combine(directory.Path, "dflare.json");
        await File.WriteAllTextAsync(file, """{"Api":{"MaxPageSize":7,"DefaultPageSize":5}}""", Ct);
        var common = new Dictionary<string, string?>
        {
            ["Server:Urls"] = "http://127.0.0.1:0",
            ["Agents:Url"] = "https://127.0.0.1:0",
            ["Simulation:Enabled"] = "false",
            ["Store:DataDirectory"] = directory.Path,
            ["Bootstrap:AdminCredential"] = TestServer.AdminCredential,
        };

        await using (var fromFile = await DflareServer.StartAsync(["--config", file], common, cancellationToken: Ct))
        {
            Assert.Contains("at most 7", await LimitProblemAsync(fromFile), StringComparison.Ordinal);
        }
        await using var fromArgs = await DflareServer.StartAsync(["--config", file, "--Api:MaxPageSize=9"], common, cancellationToken: Ct);
        Assert.Contains("at most 9", await LimitProblemAsync(fromArgs), StringComparison.Ordinal);
        SqliteConnection.ClearAllPools();
    }

    private static async Task<HttpStatusCode> StatusWithAsync(DflareServer server, string credential)
    {
        using var client = new HttpClient { BaseAddress = server.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", credential);
        return (await client.GetAsync("/api/v1/tenants", Ct)).StatusCode;
    }

    private static async Task<string> LimitProblemAsync(DflareServer server)
    {
        using var client = new HttpClient { BaseAddress = server.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestServer.AdminCredential);
        var body = await (await client.GetAsync("/api/v1/tenants?limit=10", Ct)).ReadAsync();
        return (string?)body["detail"] ?? "";
    }
}
