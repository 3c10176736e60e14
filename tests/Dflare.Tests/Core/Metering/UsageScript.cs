using System.Globalization;
using System.Text.Json.Nodes;
using Dflare.Core.Metering;
using Dflare.Tests.Infrastructure;

namespace Dflare.Tests.Core.Metering;

/// <summary>
/// A scripted month of cluster, workload and volume activity for two tenants (node allocations, workloads with and
/// without MIG, volumes provisioned, resized and deleted, network transfers), the CloudEvents it produces, the price
/// books it is billed by, and an independent recomputation of what every invoice line must come to — minute by
/// minute from the raw script, sharing no code with the rater.
/// </summary>
public sealed class UsageScript
{
    public const string Gpu = "H100-SXM5-80GB";
    private const decimal BytesPerGb = 1_000_000_000m;

    private readonly List<(string Meter, string Tenant, string Project, string Dimension, decimal Level, DateTimeOffset Start, DateTimeOffset End)> _levels = [];
    private readonly List<(string Tenant, string Project, string Direction, long Bytes, DateTimeOffset At)> _transfers = [];

    public UsageScript(int seed, DateTimeOffset now)
    {
        var random = new Random(seed);
        End = Hour(now).AddHours(-2);
        Start = End.AddDays(-30);
        PriceChange = Hour(Start.AddDays(15));
        var n = 0;
        DateTimeOffset Minute(DateTimeOffset from, DateTimeOffset to) => from.AddMinutes(random.Next(0, (int)(to - from).TotalMinutes));
        foreach (var (tenant, project) in new[] { ("acme", "research"), ("acme", "infra"), ("globex", "lab") })
        {
            for (var i = 0; i < 12; i++, n++)
            {
                var start = Minute(Start, End.AddHours(-2));
                var end = Minute(start.AddMinutes(1), start.AddHours(random.Next(1, 90)) < End ? start.AddHours(random.Next(1, 90)) : End);
                var node = $"node-{n}";
                var data = Data(tenant, project, ("cluster", $"{project}-c"), ("gpuModel", Gpu), ("gpus", 8), ("cpus", 112), ("memoryGiB", 2048));
                Event(UsageEventTypes.NodeAllocated, node, start, data);
                Event(UsageEventTypes.NodeReleased, node, end, data);
                _levels.Add((Meter.AllocatedGpuHours.Name, tenant, project, Gpu, 8, start, end));
                _levels.Add((Meter.CpuHours.Name, tenant, project, "", 112, start, end));
                _levels.Add((Meter.MemoryGbHours.Name, tenant, project, "", 2048, start, end));
            }
            for (var i = 0; i < 25; i++, n++)
            {
                var start = Minute(Start, End.AddHours(-1));
                var end = Minute(start.AddMinutes(1), End);
                var mig = i % 4 == 0;
                var gpus = mig ? random.Next(1, 8) : random.Next(1, 9);
                var data = Data(tenant, project, ("cluster", $"{project}-c"), ("user", $"user{i % 3}"), ("gpuModel", Gpu), ("gpus", gpus), ("migProfile", mig ? "1g.10gb" : null));
                Event(UsageEventTypes.WorkloadStarted, $"job-{n}", start, data);
                Event(UsageEventTypes.WorkloadStopped, $"job-{n}", end, data);
                _levels.Add((Meter.GpuHours.Name, tenant, project, mig ? $"{Gpu}/1g.10gb" : Gpu, gpus, start, end));
            }
            for (var i = 0; i < 4; i++, n++)
            {
                var tier = i % 2 == 0 ? "HighPerformance" : "Platform";
                var start = Minute(Start, End.AddDays(-2));
                var resize = Minute(start.AddMinutes(1), End.AddDays(-1));
                var end = Minute(resize.AddMinutes(1), End);
                long first = random.Next(1, 500) * 1_000_000_000L, second = random.Next(1, 900) * 1_000_000_000L;
                Event(UsageEventTypes.VolumeProvisioned, $"vol-{n}", start, Data(tenant, project, ("tier", tier), ("sizeBytes", first)));
                Event(UsageEventTypes.VolumeResized, $"vol-{n}", resize, Data(tenant, project, ("tier", tier), ("sizeBytes", second)));
                Event(UsageEventTypes.VolumeDeleted, $"vol-{n}", end, Data(tenant, project, ("tier", tier)));
                _levels.Add((Meter.StorageGbHours.Name, tenant, project, tier, first / BytesPerGb, start, resize));
                _levels.Add((Meter.StorageGbHours.Name, tenant, project, tier, second / BytesPerGb, resize, end));
            }
            for (var i = 0; i < 60; i++, n++)
            {
                var at = Minute(Start, End);
                var direction = i % 3 == 0 ? "ingress" : "egress";
                var bytes = (long)random.Next(1, 1_000_000) * 1_000_003L;
                Event(UsageEventTypes.NetworkTransferred, $"{project}-c", at, Data(tenant, project, ("cluster", $"{project}-c"), ("direction", direction), ("bytes", bytes)));
                _transfers.Add((tenant, project, direction, bytes, at));
            }
        }
    }

    public DateTimeOffset Start { get; }

    public DateTimeOffset End { get; }

    /// <summary>When the platform's GPU price changes (an hour boundary, as price books take effect per hour).</summary>
    public DateTimeOffset PriceChange { get; }

    public List<UsageEvent> Events { get; } = [];

    public IReadOnlyList<string> Periods => [.. new[] { Start, End.AddMinutes(-1) }.Select(Month).Distinct()];

    /// <summary>Price books as API bodies: the platform's, its mid-month GPU price change, and acme's override with a discount.</summary>
    public IReadOnlyList<string> PriceBooks()
    {
        string Platform(string name, DateTimeOffset from, decimal gpu) => $$"""
            {"metadata":{"name":"{{name}}"},"spec":{"currency":"USD","effectiveFrom":"{{from:O}}","prices":[
              {"meter":"allocated-gpu-hours","dimension":"{{Gpu}}","unitPrice":{{gpu.ToString(CultureInfo.InvariantCulture)}}},
              {"meter":"gpu-hours","dimension":"*","unitPrice":0.4},{"meter":"gpu-hours","dimension":"{{Gpu}}/1g.10gb","unitPrice":0.07},
              {"meter":"cpu-hours","dimension":"*","unitPrice":0.012},{"meter":"memory-gb-hours","dimension":"*","unitPrice":0.0004},
              {"meter":"storage-gb-hours","dimension":"HighPerformance","unitPrice":0.00021},{"meter":"storage-gb-hours","dimension":"Platform","unitPrice":0.00004},
              {"meter":"network-gb","dimension":"egress","unitPrice":0.05},{"meter":"network-gb","dimension":"ingress","unitPrice":0} ] } }
            """;
        return
        [
            Platform("list-2026", Start.AddDays(-60), 2.5m),
            Platform("list-2026-gpu-rise", PriceChange, 2.75m),
            $$"""{"metadata":{"name":"acme-contract"},"spec":{"currency":"USD","effectiveFrom":"{{Start.AddDays(-60):O}}","tenant":"acme","discountPercent":10,"prices":[{"meter":"allocated-gpu-hours","dimension":"{{Gpu}}","unitPrice":2.2} ] } }""",
        ];
    }

    /// <summary>The price per unit for a tenant at a moment, by the documented rule, written out by hand.</summary>
    public decimal PriceAt(string tenant, string meter, string dimension, DateTimeOffset at)
    {
        if (tenant == "acme" && meter == Meter.AllocatedGpuHours.Name)
        {
            return 2.2m * 0.9m;
        }
        var discount = tenant == "acme" ? 0.9m : 1m;
        var price = meter switch
        {
            "allocated-gpu-hours" => at >= PriceChange ? 2.75m : 2.5m,
            "gpu-hours" => dimension.EndsWith("/1g.10gb", StringComparison.Ordinal) ? 0.07m : 0.4m,
            "cpu-hours" => 0.012m,
            "memory-gb-hours" => 0.0004m,
            "storage-gb-hours" => dimension == "HighPerformance" ? 0.00021m : 0.00004m,
            _ => dimension == "egress" ? 0.05m : 0m,
        };
        return price * discount;
    }

    /// <summary>What each invoice line must be: (period, tenant, project, meter, dimension, unit price) → (quantity in
    /// the meter's unit, amount rounded to the cent), summed minute by minute.</summary>
    public Dictionary<(string Period, string Tenant, string Project, string Meter, string Dimension, decimal Price), (decimal Quantity, decimal Amount)> Truth()
    {
        var exact = new Dictionary<(string, string, string, string, string, decimal), (decimal Quantity, decimal Amount)>();
        void Add((string, string, string, string, string, decimal) key, decimal quantity, decimal amount)
        {
            var (q, a) = exact.GetValueOrDefault(key);
            exact[key] = (q + quantity, a + amount);
        }
        foreach (var l in _levels)
        {
            for (var minute = l.Start; minute < l.End; minute = minute.AddMinutes(1))
            {
                var price = PriceAt(l.Tenant, l.Meter, l.Dimension, Hour(minute));
                Add((Month(minute), l.Tenant, l.Project, l.Meter, l.Dimension, price), l.Level / 60m, l.Level * 60m * price / 3600m);
            }
        }
        foreach (var t in _transfers)
        {
            var price = PriceAt(t.Tenant, Meter.NetworkGb.Name, t.Direction, Hour(t.At));
            Add((Month(t.At), t.Tenant, t.Project, Meter.NetworkGb.Name, t.Direction, price), t.Bytes / BytesPerGb, t.Bytes * price / BytesPerGb);
        }
        return exact.ToDictionary(e => e.Key, e => (Math.Round(e.Value.Quantity, 6), Math.Round(e.Value.Amount, 2, MidpointRounding.ToEven)));
    }

    /// <summary>Every invoice of both tenants equals <see cref="Truth"/>, line by line and in total.</summary>
    public async Task AssertInvoicedAsync(HttpClient client)
    {
        var truth = Truth();
        foreach (var tenant in new[] { "acme", "globex" })
        {
            foreach (var period in Periods)
            {
                var invoice = await (await client.GetAsync($"/api/v1/tenants/{tenant}/invoices/{period}", TestContext.Current.CancellationToken)).ReadAsync();
                var lines = invoice["lines"]!.AsArray().ToDictionary(
                    l => ((string)l!["project"]!, (string)l["meter"]!, (string)l["dimension"]!, (decimal)l["unitPrice"]!),
                    l => ((decimal)l!["quantity"]!, (decimal)l["amount"]!));
                var expected = truth.Where(t => t.Key.Period == period && t.Key.Tenant == tenant && (t.Value.Quantity != 0 || t.Value.Amount != 0))
                    .ToDictionary(t => (t.Key.Project, t.Key.Meter, t.Key.Dimension, t.Key.Price), t => t.Value);
                Assert.Equal(expected.Keys.Order().ToList(), lines.Keys.Order().ToList());
                foreach (var (key, value) in expected)
                {
                    Assert.True(value == lines[key], $"{tenant} {period} {key}: expected {value}, invoiced {lines[key]}");
                }
                Assert.Equal(expected.Values.Sum(v => v.Amount), (decimal)invoice["totals"]!["USD"]!);
            }
        }
    }

    private void Event(string type, string subject, DateTimeOffset time, JsonObject data) => Events.Add(new UsageEvent
    {
        SpecVersion = "1.0", Id = $"e{Events.Count:D6}", Source = "test/script", Type = type, Subject = subject, Time = time, Data = System.Text.Json.JsonSerializer.SerializeToElement(data),
    });

    private static JsonObject Data(string tenant, string project, params (string Name, object? Value)[] fields)
    {
        var data = new JsonObject { ["tenant"] = tenant, ["project"] = project };
        foreach (var (name, value) in fields.Where(f => f.Value is not null))
        {
            data[name] = JsonValue.Create(value);
        }
        return data;
    }

    private static string Month(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM", CultureInfo.InvariantCulture);

    private static DateTimeOffset Hour(DateTimeOffset t) => new(t.UtcDateTime.Year, t.UtcDateTime.Month, t.UtcDateTime.Day, t.UtcDateTime.Hour, 0, 0, TimeSpan.Zero);
}
