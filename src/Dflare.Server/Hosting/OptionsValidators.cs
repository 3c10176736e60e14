using Dflare.Core.Identity;
using Dflare.Core.Workflows;
using Dflare.Persistence.Store;
using Microsoft.Extensions.Options;

namespace Dflare.Server.Hosting;

// Every message names the setting by its configuration path, so the operator knows what to change.

internal sealed class ServerOptionsValidator : IValidateOptions<ServerOptions>
{
    public ValidateOptionsResult Validate(string? name, ServerOptions options)
    {
        var errors = new List<string>();
        var urls = options.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (urls.Length == 0)
        {
            errors.Add("Server:Urls must name at least one address, such as http://127.0.0.1:5080.");
        }
        foreach (var url in urls)
        {
            if (!Listeners.TryParse(url, out _))
            {
                errors.Add($"Server:Urls entry '{url}' is not an http or https address with an IP address, * or localhost, such as http://127.0.0.1:5080.");
            }
        }
        if (options.MaxRequestBodyBytes is < 1024 or > 64L * 1024 * 1024)
        {
            errors.Add($"Server:MaxRequestBodyBytes must be from 1024 to 67108864; it is {options.MaxRequestBodyBytes}.");
        }
        if (options.ShutdownTimeoutSeconds is < 1 or > 600)
        {
            errors.Add($"Server:ShutdownTimeoutSeconds must be from 1 to 600; it is {options.ShutdownTimeoutSeconds}.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

internal sealed class ApiOptionsValidator : IValidateOptions<ApiOptions>
{
    public ValidateOptionsResult Validate(string? name, ApiOptions options)
    {
        var errors = new List<string>();
        if (options.MaxPageSize is < 1 or > 10_000)
        {
            errors.Add($"Api:MaxPageSize must be from 1 to 10000; it is {options.MaxPageSize}.");
        }
        if (options.DefaultPageSize < 1 || options.DefaultPageSize > options.MaxPageSize)
        {
            errors.Add($"Api:DefaultPageSize must be from 1 to Api:MaxPageSize ({options.MaxPageSize}); it is {options.DefaultPageSize}.");
        }
        if (options.IdempotencyKeyRetentionHours is < 1 or > 24 * 30)
        {
            errors.Add($"Api:IdempotencyKeyRetentionHours must be from 1 to 720; it is {options.IdempotencyKeyRetentionHours}.");
        }
        if (options.TenantRequestsPerMinute is < 0 or > 10_000_000)
        {
            errors.Add($"Api:TenantRequestsPerMinute must be from 0 (off) to 10000000; it is {options.TenantRequestsPerMinute}.");
        }
        if (options.TokenRequestsPerMinute is < 0 or > 10_000_000)
        {
            errors.Add($"Api:TokenRequestsPerMinute must be from 0 (off) to 10000000; it is {options.TokenRequestsPerMinute}.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

internal sealed class StoreOptionsValidator : IValidateOptions<StoreOptions>
{
    public ValidateOptionsResult Validate(string? name, StoreOptions options)
    {
        var errors = new List<string>();
        if (options.Provider == StoreProvider.Postgres && string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            errors.Add("Store:ConnectionString is required when Store:Provider is Postgres (for example Host=127.0.0.1;Port=5432;Database=dflare;Username=dflare).");
        }
        if (options.Provider == StoreProvider.Sqlite && string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            errors.Add("Store:DataDirectory must name a directory for the SQLite file.");
        }
        if (options.CommandTimeoutSeconds is < 1 or > 3600)
        {
            errors.Add($"Store:CommandTimeoutSeconds must be from 1 to 3600; it is {options.CommandTimeoutSeconds}.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

internal sealed class BootstrapOptionsValidator : IValidateOptions<BootstrapOptions>
{
    public ValidateOptionsResult Validate(string? name, BootstrapOptions options) =>
        options.AdminCredential is { } credential && (credential.Length < 32 || credential.Any(c => c is < '!' or > '~'))
            ? ValidateOptionsResult.Fail("Bootstrap:AdminCredential must be at least 32 visible ASCII characters.")
            : ValidateOptionsResult.Success;
}

internal sealed class WorkflowOptionsValidator : IValidateOptions<WorkflowOptions>
{
    public ValidateOptionsResult Validate(string? name, WorkflowOptions options)
    {
        var errors = new List<string>();
        if (options.Workers is < 0 or > 64)
        {
            errors.Add($"Workflows:Workers must be from 0 to 64; it is {options.Workers}.");
        }
        if (options.LeaseSeconds is < 1 or > 3600)
        {
            errors.Add($"Workflows:LeaseSeconds must be from 1 to 3600; it is {options.LeaseSeconds}.");
        }
        if (options.PollMilliseconds is < 10 or > 60_000)
        {
            errors.Add($"Workflows:PollMilliseconds must be from 10 to 60000; it is {options.PollMilliseconds}.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

internal sealed class AgentOptionsValidator : IValidateOptions<AgentOptions>
{
    public ValidateOptionsResult Validate(string? name, AgentOptions options)
    {
        var errors = new List<string>();
        if (!Listeners.TryParse(options.Url, out var url) || url.Scheme != "https")
        {
            errors.Add($"Agents:Url '{options.Url}' must be an https address with an IP or localhost, such as https://127.0.0.1:5443 (agents use mTLS).");
        }
        if (options.AdvertisedUrl is not null && (!Uri.TryCreate(options.AdvertisedUrl, UriKind.Absolute, out var advertised) || advertised.Scheme != "https"))
        {
            errors.Add($"Agents:AdvertisedUrl '{options.AdvertisedUrl}' must be an https address.");
        }
        if (options.CertificateLifetime < TimeSpan.FromSeconds(5) || options.CertificateLifetime > TimeSpan.FromDays(365))
        {
            errors.Add($"Agents:CertificateLifetime must be from 00:00:05 to 365.00:00:00; it is {options.CertificateLifetime}.");
        }
        if (options.HeartbeatInterval < TimeSpan.FromSeconds(1) || options.HeartbeatInterval > TimeSpan.FromMinutes(10))
        {
            errors.Add($"Agents:HeartbeatInterval must be from 00:00:01 to 00:10:00; it is {options.HeartbeatInterval}.");
        }
        if (options.MissedHeartbeats is < 1 or > 100)
        {
            errors.Add($"Agents:MissedHeartbeats must be from 1 to 100; it is {options.MissedHeartbeats}.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

internal sealed class ProvisioningOptionsValidator : IValidateOptions<ProvisioningOptions>
{
    public ValidateOptionsResult Validate(string? name, ProvisioningOptions options)
    {
        var errors = new List<string>();
        Positive(errors, "Provisioning:BootstrapTokenLifetime", options.BootstrapTokenLifetime);
        Positive(errors, "Provisioning:BootTimeout", options.BootTimeout);
        Positive(errors, "Provisioning:RegistrationTimeout", options.RegistrationTimeout);
        Positive(errors, "Provisioning:PollInterval", options.PollInterval);
        Positive(errors, "Provisioning:BmcBackoff", options.BmcBackoff);
        if (options.BmcAttempts is < 1 or > 20)
        {
            errors.Add($"Provisioning:BmcAttempts must be from 1 to 20; it is {options.BmcAttempts}.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Positive(List<string> errors, string setting, TimeSpan value)
    {
        if (value <= TimeSpan.Zero || value > TimeSpan.FromDays(1))
        {
            errors.Add($"{setting} must be more than zero and at most a day (e.g. 00:10:00); it is {value}.");
        }
    }
}

internal sealed class IdentityOptionsValidator : IValidateOptions<IdentityOptions>
{
    public ValidateOptionsResult Validate(string? name, IdentityOptions options)
    {
        var errors = new List<string>();
        if (options.PublicUrl is { } url && (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Query.Length > 0))
        {
            errors.Add($"Identity:PublicUrl must be an http or https address without a query, such as https://dflare.example.com; it is '{url}'.");
        }
        Range(errors, "AccessTokenMinutes", options.AccessTokenMinutes, 1, IdentityLimits.MaxAccessTokenMinutes);
        Range(errors, "RefreshTokenDays", options.RefreshTokenDays, 1, 365);
        Range(errors, "DeviceCodeMinutes", options.DeviceCodeMinutes, 1, 60);
        Range(errors, "DevicePollSeconds", options.DevicePollSeconds, 1, 60);
        Range(errors, "KeyRotationDays", options.KeyRotationDays, 1, 365);
        Range(errors, "ClockSkewSeconds", options.ClockSkewSeconds, 0, IdentityLimits.MaxClockSkewSeconds);
        Range(errors, "PasswordMemoryKiB", options.PasswordMemoryKiB, 8192, 1024 * 1024);
        Range(errors, "PasswordIterations", options.PasswordIterations, 1, 10);
        Range(errors, "AuditCheckpointEvery", options.AuditCheckpointEvery, 1, 1_000_000);
        Range(errors, "AuditCheckpointMinutes", options.AuditCheckpointMinutes, 1, 24 * 60);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Range(List<string> errors, string setting, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            errors.Add($"Identity:{setting} must be from {min} to {max}; it is {value}.");
        }
    }
}

internal sealed class VolumeOptionsValidator : IValidateOptions<VolumeOptions>
{
    public ValidateOptionsResult Validate(string? name, VolumeOptions options)
    {
        var errors = new List<string>();
        if (options.DeletionGrace < TimeSpan.Zero || options.DeletionGrace > TimeSpan.FromDays(365))
        {
            errors.Add($"Volumes:DeletionGrace must be from 00:00:00 to 365.00:00:00; it is {options.DeletionGrace}.");
        }
        if (options.ScanInterval < TimeSpan.FromSeconds(1) || options.ScanInterval > TimeSpan.FromDays(1))
        {
            errors.Add($"Volumes:ScanInterval must be from 00:00:01 to 1.00:00:00; it is {options.ScanInterval}.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

internal sealed class ClusterOptionsValidator : IValidateOptions<ClusterOptions>
{
    public ValidateOptionsResult Validate(string? name, ClusterOptions options)
    {
        var errors = new List<string>();
        if (!Dflare.Core.Clusters.ClusterSettings.Runtimes.Contains(options.Runtime))
        {
            errors.Add($"Clusters:Runtime must be one of {string.Join(", ", Dflare.Core.Clusters.ClusterSettings.Runtimes)}; it is '{options.Runtime}'.");
        }
        if (options.PlacementPoll < TimeSpan.FromMilliseconds(100) || options.PlacementPoll > TimeSpan.FromHours(1))
        {
            errors.Add($"Clusters:PlacementPoll must be from 00:00:00.1 to 01:00:00; it is {options.PlacementPoll}.");
        }
        if (options.PlacementDeadline < TimeSpan.FromMinutes(1) || options.PlacementDeadline > TimeSpan.FromDays(365))
        {
            errors.Add($"Clusters:PlacementDeadline must be from 00:01:00 to 365.00:00:00; it is {options.PlacementDeadline}.");
        }
        if (options.LabDirectory is { } dir && !Path.IsPathFullyQualified(dir))
        {
            errors.Add($"Clusters:LabDirectory must be an absolute path; it is '{dir}'.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
