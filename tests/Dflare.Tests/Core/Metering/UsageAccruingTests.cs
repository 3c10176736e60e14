using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dflare.Core.Metering;
using Dflare.Tests.Identity;
using Dflare.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Dflare.Tests.Core.Metering;

/// <summary>The usage query shows what is not billed yet next to what is: the hour under way (an open allocation
/// counted up to now), priced as the rater would price it, and marked <c>rated: false</c>; rated hours are not
/// counted twice.</summary>
public sealed class UsageAccruingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TheHourUnderWay_IsAccruing_AtThePriceInForce_BesideTheRatedHours()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 15, 12, 15, 0, TimeSpan.Zero));
        await using var world = await IdentityWorld.StartAsync(settings: new Dictionary<string, string?> { ["Metering:RateInterval"] = "1.00:00:00" },
            configureServices: services => services.AddSingleton<TimeProvider>(clock));
        await world.CreateTenantAsync("acme", "research");
        await world.Admin.PostJsonAsync("/api/v1/price-books", """
            {"metadata":{"name":"list"},"spec":{"currency":"USD","effectiveFrom":"2026-10-01T00:00:00Z","prices":[{"meter":"allocated-gpu-hours","dimension":"*","unitPrice":2}]}}
            """);
        // Eight GPUs allocated at 11:00 and still held at 12:15.
        var allocated = new UsageEvent
        {
            SpecVersion = "1.0", Id = "a1", Source = "test/accruing", Type = UsageEventTypes.NodeAllocated, Subject = "node/n1", Time = new DateTimeOffset(2026, 11, 15, 11, 0, 0, TimeSpan.Zero),
            Data = JsonSerializer.SerializeToElement(new JsonObject { ["tenant"] = "acme", ["project"] = "research", ["cluster"] = "c1", ["gpuModel"] = "H100", ["gpus"] = 8, ["cpus"] = 0, ["memoryGiB"] = 0 }),
        };
        Assert.Equal(HttpStatusCode.OK, (await world.Admin.PostJsonAsync("/api/v1/usage-events", JsonSerializer.Serialize(new { events = new[] { allocated } }, JsonSerializerOptions.Web))).StatusCode);

        async Task<JsonArray> UsageAsync() => (await (await world.Admin.GetAsync(
            "/api/v1/tenants/acme/usage?from=2026-11-15T00:00:00Z&to=2026-11-16T00:00:00Z&groupBy=project,meter,hour", Ct)).ReadAsync()).AsArray();
        static JsonNode Row(JsonArray rows, int hour, bool rated) => Assert.Single(rows, r =>
            (string?)r!["meter"] == "allocated-gpu-hours" && ((DateTimeOffset)r["hour"]!).Hour == hour && (bool)r["rated"]! == rated)!;

        // Before any rating pass: both hours accrue, the 11:00 hour whole (8 GPU-hours), the 12:00 hour up to 12:15 (2).
        var before = await UsageAsync();
        Assert.Equal(8m, (decimal)Row(before, 11, rated: false)["quantity"]!);
        var open = Row(before, 12, rated: false);
        Assert.Equal(2m, (decimal)open["quantity"]!);
        Assert.Equal(4m, (decimal)open["amount"]!);
        Assert.Equal("USD", (string?)open["currency"]);

        // Rated: the complete hour is a charge and is no longer accruing; the hour under way still is.
        Assert.Equal(HttpStatusCode.OK, (await world.Admin.PostAsync("/api/v1/metering/rate", null, Ct)).StatusCode);
        var after = await UsageAsync();
        Assert.Equal(16m, (decimal)Row(after, 11, rated: true)["amount"]!);
        Assert.DoesNotContain(after, r => ((DateTimeOffset)r!["hour"]!).Hour == 11 && !(bool)r["rated"]!);
        Assert.Equal(2m, (decimal)Row(after, 12, rated: false)["quantity"]!);

        // Time passes: the open allocation keeps accruing.
        clock.Advance(TimeSpan.FromMinutes(30));
        Assert.Equal(6m, (decimal)Row(await UsageAsync(), 12, rated: false)["quantity"]!);
    }
}
