using Dflare.Core.Provisioning.Agents;
using Dflare.Persistence.Store;
using Dflare.Server.Access;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dflare.Server.Hosting;

/// <summary>
/// The control plane, embeddable: the executable, the tests and the benchmarks all start this same server.
/// Start order: validate configuration, migrate the store, make sure an administrator can sign in, then listen.
/// </summary>
public sealed class DflareServer : IAsyncDisposable
{
    private DflareServer(WebApplication app, string? generatedAdminCredential)
    {
        App = app;
        GeneratedAdminCredential = generatedAdminCredential;
    }

    public WebApplication App { get; }

    /// <summary>The administrator credential generated on this start (first start only), to show once; else null.</summary>
    public string? GeneratedAdminCredential { get; }

    /// <summary>The addresses actually bound (port 0 resolved).</summary>
    public IReadOnlyList<Uri> Addresses =>
        [.. App.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Select(a => new Uri(a))];

    public Uri BaseAddress => Addresses[0];

    /// <summary>Where node agents connect (mTLS).</summary>
    public Uri AgentAddress => App.Services.GetRequiredService<AgentListener>().Address;

    /// <summary>Builds the host without starting it. <paramref name="overrides"/> win over every other source (tests use
    /// them); <paramref name="configureServices"/> adds services before the server's own (workflow definitions, drivers).</summary>
    public static WebApplication Build(
        IReadOnlyList<string> args, IReadOnlyDictionary<string, string?>? overrides = null, Action<IServiceCollection>? configureServices = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        DflareConfiguration.Apply(builder.Configuration, args, overrides);
        Listeners.Configure(builder);
        ConfigureLogging(builder);
        configureServices?.Invoke(builder.Services);
        builder.Services.AddDflareServer();
        var app = builder.Build();
        ServerPipeline.Configure(app);
        return app;
    }

    public static async Task<DflareServer> StartAsync(
        IReadOnlyList<string> args, IReadOnlyDictionary<string, string?>? overrides = null,
        Action<IServiceCollection>? configureServices = null, CancellationToken cancellationToken = default)
    {
        var app = Build(args, overrides, configureServices);
        try
        {
            ConfigurationCheck.ThrowIfInvalid(app.Services);
            var migrator = app.Services.GetRequiredService<StoreMigrator>();
            if (app.Services.GetRequiredService<IOptions<StoreOptions>>().Value.MigrateOnStart)
            {
                await migrator.MigrateAsync(cancellationToken);
            }
            string? generated = null;
            var schema = await migrator.GetStatusAsync(cancellationToken);
            if (schema.IsCurrent)
            {
                await using var scope = app.Services.CreateAsyncScope();
                var bootstrap = scope.ServiceProvider.GetRequiredService<IOptions<BootstrapOptions>>().Value;
                generated = await scope.ServiceProvider.GetRequiredService<AdminCredentials>().EnsureAsync(bootstrap, cancellationToken);
                // The agent listener's certificate comes from this CA: load it (or create it) before listening.
                await app.Services.GetRequiredService<AgentCertificateAuthority>().EnsureAsync(cancellationToken);
            }
            else
            {
                // A replica started ahead of `dflare-server migrate` comes up unready (/readyz 503) rather than crashing.
                ServerLog.SchemaNotCurrent(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger<DflareServer>(),
                    schema.Error ?? $"{schema.Pending.Count} migration(s) pending");
            }
            await app.StartAsync(cancellationToken);
            return new DflareServer(app, generated);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops listening and lets in-flight requests finish, up to Server:ShutdownTimeoutSeconds.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default) => App.StopAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }

    private static void ConfigureLogging(WebApplicationBuilder builder)
    {
        builder.Logging.ClearProviders();
        // Trace and span ids would repeat the correlation id, which is the trace id unless the caller sent one.
        builder.Logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.None);
        if (builder.Configuration["Logging:Format"] == "json")
        {
            builder.Logging.AddJsonConsole(o =>
            {
                o.IncludeScopes = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        }
        else
        {
            // One readable line per event; the request line carries the correlation id. JSON logs carry every scope.
            builder.Logging.AddSimpleConsole(o =>
            {
                o.IncludeScopes = false;
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
            });
        }
    }
}
