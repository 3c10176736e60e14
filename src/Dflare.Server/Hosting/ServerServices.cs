using Dflare.Persistence.Store;
using Dflare.Server.Access;
using Dflare.Server.Api.Idempotency;
using Dflare.Server.Api.Json;
using Dflare.Server.Api.Problems;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Dflare.Server.Hosting;

public static class ServerServices
{
    /// <summary>Everything the control plane's host needs. Idempotent; hosts may override with TryAdd-style registration first.</summary>
    public static IServiceCollection AddDflareServer(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(ApiInstruments)))
        {
            return services;
        }
        AddValidatedOptions<ServerOptions, ServerOptionsValidator>(services, ServerOptions.SectionName);
        AddValidatedOptions<ApiOptions, ApiOptionsValidator>(services, ApiOptions.SectionName);
        AddValidatedOptions<StoreOptions, StoreOptionsValidator>(services, StoreOptions.SectionName);
        AddValidatedOptions<BootstrapOptions, BootstrapOptionsValidator>(services, BootstrapOptions.SectionName);

        services.AddOptions<KestrelServerOptions>().Configure<IOptions<ServerOptions>>((kestrel, server) =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = server.Value.MaxRequestBodyBytes;
        });
        services.AddOptions<HostOptions>().Configure<IOptions<ServerOptions>>((host, server) =>
            host.ShutdownTimeout = TimeSpan.FromSeconds(server.Value.ShutdownTimeoutSeconds));

        services.TryAddSingleton(TimeProvider.System);
        services.AddDflareStore();
        services.AddSingleton<ApiInstruments>();
        services.AddScoped<IdempotencyStore>();
        services.AddScoped<AdminCredentials>();
        services.AddHostedService<IdempotencyRecordSweeper>();

        services.ConfigureHttpJsonOptions(o => ApiJson.Configure(o.SerializerOptions));
        services.AddProblemDetails(o => o.CustomizeProblemDetails = context =>
            ProblemCustomization.Apply(context, context.HttpContext.RequestServices.GetRequiredService<ApiInstruments>()));
        services.AddExceptionHandler<ApiExceptionHandler>();
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);

        services.AddAuthentication(AdminCredentialAuthentication.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, AdminCredentialAuthentication>(AdminCredentialAuthentication.SchemeName, null);
        // Every endpoint needs a caller unless it says otherwise: a new route cannot be open by omission.
        services.AddAuthorizationBuilder().SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());

        services.AddHealthChecks().AddCheck<StoreReadinessCheck>("store", tags: [HealthEndpoints.ReadyTag]);
        services.AddDflareOpenApi();
        return services;
    }

    private static void AddValidatedOptions<TOptions, TValidator>(IServiceCollection services, string section)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        // A misspelt key is an error, not a silently ignored setting.
        services.AddOptions<TOptions>().BindConfiguration(section, binder => binder.ErrorOnUnknownConfiguration = true);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TOptions>, TValidator>());
    }
}
