namespace Dflare.Server.Hosting;

/// <summary>Metering and billing. Bound from the <c>Metering</c> section.</summary>
public sealed class MeteringOptions
{
    public const string SectionName = "Metering";

    /// <summary>How old an event may be and still be accepted; hours older than this are final. Default: 3 days.</summary>
    public TimeSpan LateWindow { get; set; } = TimeSpan.FromDays(3);

    /// <summary>How often complete hours are rated and budgets checked. Default: 1 minute.</summary>
    public TimeSpan RateInterval { get; set; } = TimeSpan.FromMinutes(1);
}

internal sealed class MeteringOptionsValidator : Microsoft.Extensions.Options.IValidateOptions<MeteringOptions>
{
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, MeteringOptions options)
    {
        var errors = new List<string>();
        if (options.LateWindow < TimeSpan.FromHours(1) || options.LateWindow > TimeSpan.FromDays(400))
        {
            errors.Add($"Metering:LateWindow must be from 01:00:00 to 400.00:00:00; it is {options.LateWindow}.");
        }
        if (options.RateInterval < TimeSpan.FromSeconds(1) || options.RateInterval > TimeSpan.FromDays(1))
        {
            errors.Add($"Metering:RateInterval must be from 00:00:01 to 1.00:00:00; it is {options.RateInterval}.");
        }
        return errors.Count == 0 ? Microsoft.Extensions.Options.ValidateOptionsResult.Success : Microsoft.Extensions.Options.ValidateOptionsResult.Fail(errors);
    }
}
