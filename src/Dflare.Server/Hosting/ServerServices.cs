using Dflare.Core.Identity;
using Dflare.Core.Workflows;
using Dflare.Persistence.Store;
using Dflare.Server.Access;
using Dflare.Server.Api.Idempotency;
using Dflare.Server.Api.Json;
using Dflare.Server.Api.Problems;
using Dflare.Server.Portal;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
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
        if (services.Any(d => d.ServiceType == typeof(IdempotencyStore)))
        {
            return services;
        }
        AddValidatedOptions<ServerOptions, ServerOptionsValidator>(services, ServerOptions.SectionName);
        AddValidatedOptions<ApiOptions, ApiOptionsValidator>(services, ApiOptions.SectionName);
        AddValidatedOptions<StoreOptions, StoreOptionsValidator>(services, StoreOptions.SectionName);
        AddValidatedOptions<BootstrapOptions, BootstrapOptionsValidator>(services, BootstrapOptions.SectionName);
        AddValidatedOptions<WorkflowOptions, WorkflowOptionsValidator>(services, WorkflowOptions.SectionName);
        AddValidatedOptions<AgentOptions, AgentOptionsValidator>(services, AgentOptions.SectionName);
        AddValidatedOptions<ProvisioningOptions, ProvisioningOptionsValidator>(services, ProvisioningOptions.SectionName);
        AddValidatedOptions<IdentityOptions, IdentityOptionsValidator>(services, IdentityOptions.SectionName);
        AddValidatedOptions<VolumeOptions, VolumeOptionsValidator>(services, VolumeOptions.SectionName);
        AddValidatedOptions<NetworkOptions, NetworkOptionsValidator>(services, NetworkOptions.SectionName);
        AddValidatedOptions<MeteringOptions, MeteringOptionsValidator>(services, MeteringOptions.SectionName);
        AddValidatedOptions<ClusterOptions, ClusterOptionsValidator>(services, ClusterOptions.SectionName);

        // Kestrel and the host read the raw values: they are also resolved while a host is disposed, and must not
        // throw there; ConfigurationCheck has validated the same values before anything starts.
        services.AddOptions<KestrelServerOptions>().Configure<IConfiguration>((kestrel, configuration) =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = RawServerOptions(configuration).MaxRequestBodyBytes;
        });
        services.AddOptions<HostOptions>().Configure<IConfiguration>((host, configuration) =>
            host.ShutdownTimeout = TimeSpan.FromSeconds(RawServerOptions(configuration).ShutdownTimeoutSeconds));

        services.AddOptions<SecretsOptions>().BindConfiguration(SecretsOptions.SectionName, binder => binder.ErrorOnUnknownConfiguration = true);
        services.TryAddSingleton(sp => SecretKeys.Load(
            sp.GetRequiredService<IOptions<SecretsOptions>>().Value, sp.GetRequiredService<IOptions<StoreOptions>>().Value));
        services.TryAddSingleton(TimeProvider.System);
        services.AddDflareStore();
        services.AddDflareWorkflows();
        services.AddDflareProvisioning();
        services.AddDflareSimulation();
        services.AddDflareVolumes();
        services.AddDflareNetwork();
        services.AddDflareMetering();
        services.AddDflareClusters();
        services.AddScoped<IdempotencyStore>();
        services.AddScoped<AdminCredentials>();
        AddIdentity(services);
        services.AddHostedService<IdempotencyRecordSweeper>();

        services.ConfigureHttpJsonOptions(o => ApiJson.Configure(o.SerializerOptions));
        services.AddProblemDetails(o => o.CustomizeProblemDetails = ProblemCustomization.Apply);
        services.AddExceptionHandler<ApiExceptionHandler>();
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);

        services.AddAuthentication(BearerAuthentication.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, BearerAuthentication>(BearerAuthentication.SchemeName, null);
        services.AddDflareRateLimits();
        // Every endpoint needs a caller unless it says otherwise: a new route cannot be open by omission.
        services.AddAuthorizationBuilder().SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());

        services.AddHealthChecks().AddCheck<StoreReadinessCheck>("store", tags: [HealthEndpoints.ReadyTag]);
        services.AddDflareOpenApi();
        services.AddDflarePortal();
        return services;
    }

    /// <summary>Realms, tokens, the policy decision point and the audit log (docs/identity.md).</summary>
    private static void AddIdentity(IServiceCollection services)
    {
        services.TryAddSingleton(sp => new IssuerAddress(() =>
        {
            var address = sp.GetRequiredService<IOptions<IdentityOptions>>().Value.PublicUrl ?? ProvisioningServices.FirstListenerAddress(sp);
            return new Uri(address.TrimEnd('/') + "/");
        }));
        services.TryAddSingleton<RealmKeys>();
        services.TryAddSingleton<FederatedTokenValidator>();
        services.TryAddSingleton<AccessTokenValidator>();
        services.AddHostedService<AuditCheckpointer>();
        services.TryAddSingleton<PolicyDecisionPoint>();
        services.TryAddSingleton<AuditLog>();
        services.TryAddSingleton<PasswordHasher>();
        services.AddScoped<TokenService>();
    }

    private static ServerOptions RawServerOptions(IConfiguration configuration) =>
        configuration.GetSection(ServerOptions.SectionName).Get<ServerOptions>() ?? new ServerOptions();

    private static void AddValidatedOptions<TOptions, TValidator>(IServiceCollection services, string section)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        // A misspelt key is an error, not a silently ignored setting.
        services.AddOptions<TOptions>().BindConfiguration(section, binder => binder.ErrorOnUnknownConfiguration = true);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TOptions>, TValidator>());
    }
}
