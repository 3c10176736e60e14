using Dflare.Core.Network;

namespace Dflare.Server.Hosting;

/// <summary>Networking. Bound from the <c>Network</c> section.</summary>
public sealed class NetworkOptions
{
    public const string SectionName = "Network";

    /// <summary>How often every fabric is compared with the store and drift repaired. Default: 1 minute.</summary>
    public TimeSpan ReconcileInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The Lab driver's namespace prefix: 1–6 lowercase letters or digits. Default: <c>dfl</c>.</summary>
    public string LabPrefix { get; set; } = "dfl";

    /// <summary>Where the Lab driver writes the subnet manager's partitions.conf. Default: a temp directory.</summary>
    public string? LabStateDirectory { get; set; }

    /// <summary>False builds Lab fabrics with no tenant isolation. Only the isolation test's negative control sets it.</summary>
    public bool LabIsolation { get; set; } = true;

    public NetworkSettings ToSettings() => new()
    {
        ReconcileInterval = ReconcileInterval, LabPrefix = LabPrefix, LabIsolation = LabIsolation,
        LabStateDirectory = LabStateDirectory ?? Path.Combine(Path.GetTempPath(), "dflare-fabric"),
    };
}

internal sealed class NetworkOptionsValidator : Microsoft.Extensions.Options.IValidateOptions<NetworkOptions>
{
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, NetworkOptions options)
    {
        var errors = new List<string>();
        if (options.ReconcileInterval < TimeSpan.FromSeconds(1) || options.ReconcileInterval > TimeSpan.FromDays(1))
        {
            errors.Add($"Network:ReconcileInterval must be from 00:00:01 to 1.00:00:00; it is {options.ReconcileInterval}.");
        }
        if (options.LabPrefix is not { Length: >= 1 and <= 6 } || !options.LabPrefix.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9'))
        {
            errors.Add($"Network:LabPrefix must be 1 to 6 lowercase letters or digits; it is '{options.LabPrefix}'.");
        }
        return errors.Count == 0 ? Microsoft.Extensions.Options.ValidateOptionsResult.Success : Microsoft.Extensions.Options.ValidateOptionsResult.Fail(errors);
    }
}
