using Dflare.Core.Workflows;
using Dflare.Persistence.Store;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Dflare.Server.Hosting;

/// <summary>Resolves every options class once before the server starts, so all configuration errors are reported
/// together, each naming its setting, instead of the first one surfacing on the first request.</summary>
internal static class ConfigurationCheck
{
    public static void ThrowIfInvalid(IServiceProvider services)
    {
        var errors = new List<string>();
        Check<ServerOptions>(services, errors);
        Check<ApiOptions>(services, errors);
        Check<StoreOptions>(services, errors);
        Check<BootstrapOptions>(services, errors);
        Check<WorkflowOptions>(services, errors);
        Check<SecretsOptions>(services, errors);
        Check<AgentOptions>(services, errors);
        Check<ProvisioningOptions>(services, errors);
        Check<SimulationOptions>(services, errors);
        Check<Dflare.Core.Identity.IdentityOptions>(services, errors);
        Check<VolumeOptions>(services, errors);
        Check<NetworkOptions>(services, errors);
        Check<MeteringOptions>(services, errors);
        Check<ClusterOptions>(services, errors);
        var format = services.GetRequiredService<IConfiguration>()["Logging:Format"];
        if (format is not (null or "simple" or "json"))
        {
            errors.Add($"Logging:Format must be 'simple' or 'json'; it is '{format}'.");
        }
        if (errors.Count == 0)
        {
            try
            {
                // The key ring that seals secrets at rest: created on first start, or read and checked.
                _ = services.GetRequiredService<Dflare.Core.Secrets.SecretProtector>();
            }
            catch (ConfigurationException ex)
            {
                errors.AddRange(ex.Errors);
            }
        }
        if (errors.Count > 0)
        {
            throw new ConfigurationException(errors);
        }
    }

    private static void Check<T>(IServiceProvider services, List<string> errors) where T : class
    {
        try
        {
            _ = services.GetRequiredService<IOptions<T>>().Value;
        }
        catch (OptionsValidationException ex)
        {
            errors.AddRange(ex.Failures);
        }
        catch (InvalidOperationException ex)
        {
            // The binder's words: an unknown key, or a value of the wrong type, with its path.
            errors.Add(ex.Message);
        }
    }
}
