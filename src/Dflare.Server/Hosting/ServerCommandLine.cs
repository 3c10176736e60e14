using System.Reflection;
using Dflare.Persistence.Store;
using Dflare.Server.Access;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Dflare.Server.Hosting;

/// <summary>
/// <c>dflare-server [run|migrate|rotate-admin-credential|check-config|help|version] [settings]</c>. Exit codes:
/// 0 done, 1 unexpected failure, 2 bad usage or configuration, 3 the store is unreachable or a migration failed.
/// </summary>
public static class ServerCommandLine
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int Usage = 2;
    public const int StoreFailed = 3;

    public static async Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        output ??= Console.Out;
        error ??= Console.Error;
        var command = args.Length > 0 && !args[0].StartsWith('-') ? args[0] : "run";
        var settings = args.Length > 0 && !args[0].StartsWith('-') ? args[1..] : args;
        try
        {
            return command switch
            {
                "run" => await ServeAsync(settings, output),
                "migrate" => await MigrateAsync(settings, output),
                "rotate-admin-credential" => await RotateAsync(settings, output),
                "check-config" => CheckConfig(settings, output),
                "help" or "--help" or "-h" => Help(output),
                "version" or "--version" => Version(output),
                _ => Fail(error, Usage, $"unknown command '{command}'; run `dflare-server help`"),
            };
        }
        catch (ConfigurationException ex)
        {
            foreach (var message in ex.Errors)
            {
                error.WriteLine($"dflare-server: configuration error: {message}");
            }
            return Usage;
        }
        catch (System.Data.Common.DbException ex)
        {
            return Fail(error, StoreFailed, $"the store failed: {ex.Message}");
        }
        catch (InvalidOperationException ex) when (ex.InnerException is System.Data.Common.DbException inner)
        {
            return Fail(error, StoreFailed, $"the store failed: {inner.Message}");
        }
        catch (IOException ex)
        {
            // Kestrel reports an address already in use this way.
            return Fail(error, Failed, ex.Message);
        }
    }

    private static async Task<int> ServeAsync(string[] settings, TextWriter output)
    {
        await using var server = await DflareServer.StartAsync(settings);
        var store = server.App.Services.GetRequiredService<IOptions<StoreOptions>>().Value;
        StartupBanner.Write(output, server, store);
        await server.App.WaitForShutdownAsync();
        return Ok;
    }

    private static async Task<int> MigrateAsync(string[] settings, TextWriter output)
    {
        await using var app = DflareServer.Build(settings);
        ConfigurationCheck.ThrowIfInvalid(app.Services);
        var applied = await app.Services.GetRequiredService<StoreMigrator>().MigrateAsync(CancellationToken.None);
        output.WriteLine(applied.Count == 0 ? "The schema is current; nothing to apply." : $"Applied {applied.Count} migration(s): {string.Join(", ", applied)}");
        return Ok;
    }

    private static async Task<int> RotateAsync(string[] settings, TextWriter output)
    {
        await using var app = DflareServer.Build(settings);
        ConfigurationCheck.ThrowIfInvalid(app.Services);
        await app.Services.GetRequiredService<StoreMigrator>().MigrateAsync(CancellationToken.None);
        await using var scope = app.Services.CreateAsyncScope();
        var credential = await scope.ServiceProvider.GetRequiredService<AdminCredentials>().RotateAsync(CancellationToken.None);
        output.WriteLine($"New admin credential (shown once; the old one no longer works): {credential}");
        return Ok;
    }

    private static int CheckConfig(string[] settings, TextWriter output)
    {
        using var app = (IDisposable)DflareServer.Build(settings);
        ConfigurationCheck.ThrowIfInvalid(((IHost)app).Services);
        output.WriteLine("The configuration is valid.");
        return Ok;
    }

    private static int Help(TextWriter output)
    {
        output.WriteLine("""
            dflare-server: the Dflare control plane.

            Usage: dflare-server [command] [--config FILE] [--Section:Key=value ...]

            Commands:
              run                       serve the API (default)
              migrate                   apply pending store migrations and exit
              rotate-admin-credential   issue a new admin credential and print it once
              check-config              validate the configuration and exit
              help, version

            Short flags: --urls, --data-dir, --store (Sqlite|Postgres), --connection-string.
            Every setting and its default: docs/operations/configuration.md.
            Exit codes: 0 ok, 1 failure, 2 usage or configuration error, 3 store unreachable or migration failed.
            """);
        return Ok;
    }

    private static int Version(TextWriter output)
    {
        output.WriteLine(typeof(ServerCommandLine).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown");
        return Ok;
    }

    private static int Fail(TextWriter error, int code, string message)
    {
        error.WriteLine($"dflare-server: {message}");
        return code;
    }
}
