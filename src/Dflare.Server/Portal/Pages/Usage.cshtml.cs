using System.Globalization;
using System.Text.Json.Nodes;
using Dflare.Client.Api;
using Dflare.Server.Portal.Charts;

namespace Dflare.Server.Portal.Pages;

/// <summary>The tenant's usage: GPU-hours per day by project as a chart, and every meter in a table, rated and
/// still accruing.</summary>
public sealed class UsageModel : PortalPage
{
    public override string Section => "usage";

    public int Days { get; private set; } = 14;

    public IReadOnlyList<UsageLine> Rows { get; private set; } = [];

    public IReadOnlyList<Bar> Bars { get; private set; } = [];

    public IReadOnlyList<string> Series { get; private set; } = [];

    public async Task OnGetAsync(int? days)
    {
        Days = days is > 0 and <= 366 ? days.Value : 14;
        if (Tenant is null)
        {
            return;
        }
        var now = DateTimeOffset.UtcNow;
        var start = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero).AddDays(1 - Days);
        var query = new Dictionary<string, string?>
        {
            ["from"] = start.ToString("O", CultureInfo.InvariantCulture), ["to"] = now.ToString("O", CultureInfo.InvariantCulture), ["groupBy"] = "day,project,meter",
        };
        var answer = (await Session.Api.SendAsync(HttpMethod.Get, DflareClient.WithQuery($"tenants/{Tenant}/usage", query), null, null, HttpContext.RequestAborted)).Body as JsonArray ?? [];
        Rows = [.. answer.OfType<JsonObject>().Select(UsageLine.From)];
        var gpu = Rows.Where(r => r.Meter == "allocated-gpu-hours").ToList();
        Series = [.. gpu.Select(r => r.Project).Distinct().Order(StringComparer.Ordinal)];
        Bars = [.. Enumerable.Range(0, Days).Select(d => start.AddDays(d).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)).Select(day =>
            new Bar(day[5..], [.. Series.Select(s => new BarSegment(s, gpu.Where(r => r.Day == day && r.Project == s).Sum(r => r.Quantity)))]))];
    }
}

/// <summary>One row of the usage table.</summary>
public sealed record UsageLine(string Day, string Project, string Meter, decimal Quantity, string Unit, decimal Amount, string Currency, bool Rated)
{
    public static UsageLine From(JsonObject row) => new(
        Fields.Text(row, "day"), Fields.Text(row, "project"), Fields.Text(row, "meter"), row["quantity"]?.GetValue<decimal>() ?? 0, Fields.Text(row, "unit"),
        row["amount"]?.GetValue<decimal>() ?? 0, Fields.Text(row, "currency"), row["rated"]?.GetValue<bool>() ?? true);
}
