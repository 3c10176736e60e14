using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dflare.Core.Identity;
using Dflare.Core.Metering;
using Dflare.Tests.Identity;
using Dflare.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Dflare.Tests.Core.Metering;

/// <summary>
/// A scripted month through the API: every invoice line equals, to the cent, the independent minute-by-minute
/// recomputation; resending every event (shuffled, with 10% sent twice) changes nothing; a late event inside the window
/// is billed through a reversal and a new charge, never an edit; tenants see only their own.
/// </summary>
public sealed class MeteringGroundTruthTests : IAsyncLifetime
{
    private IdentityWorld _world = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _world = await IdentityWorld.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Metering:LateWindow"] = "35.00:00:00", ["Metering:RateInterval"] = "1.00:00:00",
        });
        await _world.CreateTenantAsync("acme", "research", "infra");
        await _world.CreateTenantAsync("globex", "lab");
    }

    public ValueTask DisposeAsync() => _world.DisposeAsync();

    [Fact]
    public async Task AScriptedMonth_IsInvoicedToTheCent_AndResendingEverythingChangesNothing()
    {
        var script = new UsageScript(seed: 20261204, DateTimeOffset.UtcNow);
        foreach (var book in script.PriceBooks())
        {
            Assert.Equal(HttpStatusCode.Created, (await _world.Admin.PostJsonAsync("/api/v1/price-books", book)).StatusCode);
        }
        var first = await IngestAsync(script.Events);
        Assert.Equal(script.Events.Count, first.Accepted);
        Assert.Equal(0, first.Duplicates);
        var rated = await RateAsync();
        Assert.True(rated["charges"]!.GetValue<int>() > 0, rated.ToJsonString());
        Assert.Equal(0, rated["unpriced"]!.GetValue<int>());
        await script.AssertInvoicedAsync(_world.Admin);

        // Every event again, shuffled, a tenth of them twice: nothing is stored, nothing is re-rated.
        var random = new Random(7);
        var resend = script.Events.Concat(script.Events.Where((_, i) => i % 10 == 0)).OrderBy(_ => random.Next()).ToList();
        var again = await IngestAsync(resend);
        Assert.Equal(0, again.Accepted);
        Assert.Equal(resend.Count, again.Duplicates);
        var rerated = await RateAsync();
        Assert.Equal(0, rerated["charges"]!.GetValue<int>());
        Assert.Equal(0, rerated["reversals"]!.GetValue<int>());
        await script.AssertInvoicedAsync(_world.Admin);
    }

    [Fact]
    public async Task ALateEvent_IsBilledByReversalsAndNewCharges_NeverByEdits()
    {
        var hour = UsageMeters.Hour(DateTimeOffset.UtcNow).AddHours(-10);
        Assert.Equal(HttpStatusCode.Created, (await _world.Admin.PostJsonAsync("/api/v1/price-books", $$"""
            {"metadata":{"name":"storage"},"spec":{"currency":"USD","effectiveFrom":"{{hour.AddDays(-1):O}}","prices":[{"meter":"storage-gb-hours","dimension":"*","unitPrice":0.001} ] } }
            """)).StatusCode);
        UsageEvent Volume(string id, string type, DateTimeOffset at, long gb) => new()
        {
            SpecVersion = "1.0", Id = id, Source = "test/late", Type = type, Subject = "vol-1", Time = at,
            Data = System.Text.Json.JsonSerializer.SerializeToElement(new JsonObject { ["tenant"] = "globex", ["project"] = "lab", ["tier"] = "Platform", ["sizeBytes"] = gb * 1_000_000_000 }),
        };
        await IngestAsync([Volume("p", UsageEventTypes.VolumeProvisioned, hour, 1000)]);
        var first = await RateAsync();
        Assert.Equal(10, first["charges"]!.GetValue<int>());
        // The resize four and a half hours in arrives late: the six hours it changes are reversed and charged again.
        await IngestAsync([Volume("r", UsageEventTypes.VolumeResized, hour.AddMinutes(270), 2000)]);
        var second = await RateAsync();
        Assert.Equal(6, second["reversals"]!.GetValue<int>());
        Assert.Equal(6, second["charges"]!.GetValue<int>());
        var periods = await (await _world.Admin.GetAsync("/api/v1/tenants/globex/invoices", Ct)).ReadAsync();
        // 4 h × 1000 GB + 0.5 h × 1000 GB + 0.5 h × 2000 GB + 5 h × 2000 GB, at 0.001 per GB-hour.
        Assert.Equal(15.5m, periods.AsArray().Sum(p => (decimal)p!["totals"]!["USD"]!));
        await using var db = Dflare.Persistence.Store.StoreContexts.Create(_world.Server.Store.Options);
        var records = await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.ToListAsync(db.BillingRecords, Ct);
        Assert.Equal(22, records.Count);
        Assert.All(records.Where(r => r.Kind == BillingKinds.Reversal), r => Assert.Equal(-records.Single(c => c.Id == r.Reverses).Amount, r.Amount));
        var reversed = records.Where(r => r.Reverses != null).Select(r => r.Reverses).ToHashSet();
        var inForce = records.Where(r => r.Kind == BillingKinds.Charge && !reversed.Contains(r.Id)).ToList();
        Assert.Equal(10, inForce.Count);
        Assert.All(inForce.Where(r => r.Hour >= hour.AddHours(4)), r => Assert.Contains("test/late#r", r.Events, StringComparison.Ordinal));
    }

    [Fact]
    public async Task BadEvents_AreRefusedWithTheirPath_AndNothingOfTheBatchIsStored()
    {
        var good = new UsageEvent
        {
            SpecVersion = "1.0", Id = "ok", Source = "test/bad", Type = UsageEventTypes.NetworkTransferred, Subject = "c", Time = DateTimeOffset.UtcNow.AddMinutes(-5),
            Data = System.Text.Json.JsonSerializer.SerializeToElement(new JsonObject { ["tenant"] = "acme", ["project"] = "research", ["cluster"] = "c", ["direction"] = "egress", ["bytes"] = 10 }),
        };
        var batch = new[]
        {
            good,
            good with { Id = "old", Time = DateTimeOffset.UtcNow.AddDays(-40) },
            good with { Id = "kind", Type = "dflare.node.exploded" },
            good with { Id = "dir", Data = System.Text.Json.JsonSerializer.SerializeToElement(new JsonObject { ["tenant"] = "acme", ["project"] = "research", ["cluster"] = "c", ["direction"] = "sideways", ["bytes"] = -1 }) },
        };
        var response = await _world.Admin.PostJsonAsync("/api/v1/usage-events", JsonSerializer.Serialize(new { events = batch }, JsonSerializerOptions.Web));
        var problem = await response.AssertProblemAsync(422, "validation-failed", "events[1].time");
        var fields = problem["errors"]!.AsArray().Select(e => (string)e!["field"]!).ToList();
        Assert.Contains("events[2].type", fields);
        Assert.Contains("events[3].data.direction", fields);
        Assert.Contains("events[3].data.bytes", fields);
        Assert.Equal(1, (await IngestAsync([good])).Accepted); // the good one was not stored by the refused batch
    }

    [Fact]
    public async Task ATenantSeesOnlyItsOwn_AndOnlyOperatorsIngestOrPrice()
    {
        var script = new UsageScript(seed: 9, DateTimeOffset.UtcNow);
        foreach (var book in script.PriceBooks())
        {
            await _world.Admin.PostJsonAsync("/api/v1/price-books", book);
        }
        await IngestAsync(script.Events);
        await RateAsync();
        await _world.CreateUserAsync("acme", "bea", BuiltInRoles.BillingViewer);
        await _world.CreateUserAsync("acme", "dev", BuiltInRoles.Member);
        using var bea = await _world.SignInAsync("acme", "bea");
        using var dev = await _world.SignInAsync("acme", "dev");
        var period = script.Periods[^1];
        Assert.Equal(HttpStatusCode.OK, (await bea.GetAsync($"/api/v1/tenants/acme/invoices/{period}", Ct)).StatusCode);
        await (await bea.GetAsync($"/api/v1/tenants/globex/invoices/{period}", Ct)).AssertProblemAsync(404, "not-found");
        await (await dev.GetAsync($"/api/v1/tenants/acme/invoices/{period}", Ct)).AssertProblemAsync(403, "forbidden");
        await (await bea.PostJsonAsync("/api/v1/usage-events", """{"events":[]}""")).AssertProblemAsync(403, "forbidden");
        await (await bea.GetAsync("/api/v1/price-books", Ct)).AssertProblemAsync(403, "forbidden");

        var csv = await (await bea.GetAsync($"/api/v1/tenants/acme/invoices/{period}?format=csv", Ct)).Content.ReadAsStringAsync(Ct);
        Assert.StartsWith("tenant,period,project,meter,dimension,unit,quantity,unit_price,currency,amount\n", csv, StringComparison.Ordinal);
        Assert.DoesNotContain("globex", csv, StringComparison.Ordinal);
        var byUser = await (await bea.GetAsync($"/api/v1/tenants/acme/chargeback?period={period}&by=user", Ct)).ReadAsync();
        Assert.Contains(byUser.AsArray(), l => (string?)l!["user"] == "user1");
        var byProject = await (await bea.GetAsync($"/api/v1/tenants/acme/chargeback?period={period}", Ct)).ReadAsync();
        var invoice = await (await bea.GetAsync($"/api/v1/tenants/acme/invoices/{period}", Ct)).ReadAsync();
        Assert.InRange(byProject.AsArray().Sum(l => (decimal)l!["amount"]!) - (decimal)invoice["totals"]!["USD"]!, -0.05m, 0.05m);
        var usage = await (await bea.GetAsync($"/api/v1/tenants/acme/usage?from={Uri.EscapeDataString(script.Start.ToString("O"))}&to={Uri.EscapeDataString(script.End.ToString("O"))}&groupBy=project,meter,day", Ct)).ReadAsync();
        Assert.Contains(usage.AsArray(), r => (string?)r!["meter"] == "allocated-gpu-hours" && (string?)r["unit"] == "GPU-hour");
        await (await bea.GetAsync("/api/v1/tenants/acme/usage?from=yesterday&to=today", Ct)).AssertProblemAsync(400, "invalid-query", "from");
        await (await bea.GetAsync($"/api/v1/tenants/acme/usage?from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z&groupBy=planet", Ct)).AssertProblemAsync(400, "invalid-query", "groupBy");
        await (await bea.GetAsync("/api/v1/tenants/acme/invoices/2026-13", Ct)).AssertProblemAsync(400, "invalid-query", "period");
    }

    [Fact]
    public async Task ABudget_RaisesEachThresholdOnceAMonth()
    {
        // A clock in mid-month, so the month has complete hours to spend in whenever the test runs.
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 11, 15, 12, 20, 0, TimeSpan.Zero));
        await using var world = await IdentityWorld.StartAsync(settings: new Dictionary<string, string?> { ["Metering:RateInterval"] = "1.00:00:00" },
            configureServices: services => services.AddSingleton<TimeProvider>(clock));
        await world.CreateTenantAsync("acme", "research");
        var hour = UsageMeters.Hour(clock.GetUtcNow());
        await world.Admin.PostJsonAsync("/api/v1/price-books", $$"""{"metadata":{"name":"p"},"spec":{"currency":"USD","effectiveFrom":"{{hour.AddDays(-40):O}}","prices":[{"meter":"network-gb","dimension":"*","unitPrice":1} ] } }""");
        Assert.Equal(HttpStatusCode.Created, (await world.Admin.PostJsonAsync("/api/v1/tenants/acme/budgets", """{"metadata":{"name":"monthly"},"spec":{"amount":100,"currency":"USD","thresholds":[50,80,100]}}""")).StatusCode);
        var transfer = new UsageEvent
        {
            SpecVersion = "1.0", Id = "t1", Source = "test/budget", Type = UsageEventTypes.NetworkTransferred, Subject = "c", Time = hour.AddMinutes(-30),
            Data = System.Text.Json.JsonSerializer.SerializeToElement(new JsonObject { ["tenant"] = "acme", ["project"] = "research", ["cluster"] = "c", ["direction"] = "egress", ["bytes"] = 85_000_000_000L }),
        };
        Assert.Equal(HttpStatusCode.OK, (await world.Admin.PostJsonAsync("/api/v1/usage-events", JsonSerializer.Serialize(new { events = new[] { transfer } }, JsonSerializerOptions.Web))).StatusCode);
        async Task<int> RateAlertsAsync() => (int)(await (await world.Admin.PostAsync("/api/v1/metering/rate", null, Ct)).ReadAsync())["alerts"]!;
        Assert.Equal(2, await RateAlertsAsync());
        Assert.Equal(0, await RateAlertsAsync());
        var budget = await (await world.Admin.GetAsync("/api/v1/tenants/acme/budgets/monthly", Ct)).ReadAsync();
        Assert.Equal("2026-11", (string)budget["status"]!["period"]!);
        Assert.Equal(85m, (decimal)budget["status"]!["spent"]!);
        Assert.Equal([50, 80], budget["status"]!["alerts"]!.AsArray().Select(a => (int)a!["threshold"]!));
        await (await world.Admin.PostJsonAsync("/api/v1/tenants/acme/budgets", """{"metadata":{"name":"bad"},"spec":{"amount":-1,"currency":"usd","project":"ghost"}}"""))
            .AssertProblemAsync(422, "validation-failed", "spec.amount");
    }

    private async Task<IngestResult> IngestAsync(IReadOnlyList<UsageEvent> events)
    {
        var accepted = 0;
        var duplicates = 0;
        foreach (var chunk in events.Chunk(2000))
        {
            var response = await _world.Admin.PostJsonAsync("/api/v1/usage-events", JsonSerializer.Serialize(new { events = chunk }, JsonSerializerOptions.Web));
            Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Ct));
            var result = await response.ReadAsync();
            accepted += (int)result["accepted"]!;
            duplicates += (int)result["duplicates"]!;
        }
        return new IngestResult(accepted, duplicates);
    }

    private async Task<JsonNode> RateAsync()
    {
        var response = await _world.Admin.PostAsync("/api/v1/metering/rate", null, Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Ct));
        return await response.ReadAsync();
    }
}
