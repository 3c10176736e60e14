using Dflare.Core.Metering;
using Dflare.Persistence.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dflare.Server.Hosting;

public static class MeteringServices
{
    /// <summary>The rater and the loop that runs it.</summary>
    public static IServiceCollection AddDflareMetering(this IServiceCollection services)
    {
        services.AddSingleton(sp =>
        {
            var store = sp.GetRequiredService<IOptions<StoreOptions>>().Value;
            return new UsageRater(() => StoreContexts.Create(store), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<UsageRater>>());
        });
        services.AddHostedService<UsageRating>();
        return services;
    }
}

/// <summary>Rates complete hours and checks budgets every <see cref="MeteringOptions.RateInterval"/>.</summary>
internal sealed partial class UsageRating(UsageRater rater, IOptions<MeteringOptions> options, TimeProvider time, ILogger<UsageRating> logger) : PeriodicService(time)
{
    protected override TimeSpan Interval => options.Value.RateInterval;

    protected override async Task TickAsync(CancellationToken cancellationToken)
    {
        try
        {
            await rater.RateAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The next pass recomputes everything: a failed one loses nothing.
            LogFailed(logger, ex);
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "Rating usage failed; the next pass tries again")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
