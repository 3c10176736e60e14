using System.Globalization;
using System.Text.Json.Nodes;
using Dflare.Cli.Config;
using Dflare.Cli.Output;
using Dflare.Cli.Resources;
using Dflare.Client.Api;

namespace Dflare.Cli.Commands;

/// <summary><c>get usage</c> and <c>get invoices</c>: the tenant's usage (rated, and still accruing) and its invoices.</summary>
public static class Reports
{
    private static readonly string[] GroupKeys = ["project", "user", "cluster", "dimension", "day", "hour"];

    public static async Task<int> UsageAsync(CliConsole console, Session session, string? tenantFlag, OutputFormat format, string? by, string? from, string? to, CancellationToken cancellationToken)
    {
        var tenant = session.Tenant(tenantFlag);
        var keys = (by ?? "project").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(k => k.ToLowerInvariant()).ToList();
        if (keys.FirstOrDefault(k => !GroupKeys.Contains(k) && k != "meter") is { } bad)
        {
            throw new CliException(ExitCodes.Usage, $"--by {bad}: group by any of {string.Join(", ", GroupKeys)}.");
        }
        var now = console.Time.GetUtcNow();
        var start = Time(from, "--from") ?? new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
        var end = Time(to, "--to") ?? now;
        var query = new Dictionary<string, string?>
        {
            ["from"] = start.ToString("O", CultureInfo.InvariantCulture), ["to"] = end.ToString("O", CultureInfo.InvariantCulture),
            ["groupBy"] = string.Join(',', keys.Append("meter").Distinct()),
        };
        var rows = (await session.Client.SendAsync(HttpMethod.Get, Client.Api.DflareClient.WithQuery($"tenants/{tenant}/usage", query), null, null, cancellationToken)).Body as JsonArray ?? [];
        if (format is OutputFormat.Json or OutputFormat.Yaml)
        {
            Printer.Document(console.Out, format, rows);
            return ExitCodes.Ok;
        }
        if (rows.Count == 0)
        {
            await console.Out.WriteLineAsync($"No usage for tenant {tenant} from {start:yyyy-MM-dd HH:mm} to {end:yyyy-MM-dd HH:mm} UTC.");
            return ExitCodes.Ok;
        }
        var headers = keys.Where(k => k != "meter").Select(k => k.ToUpperInvariant()).Concat(["METER", "QUANTITY", "UNIT", "AMOUNT", "STATE"]).ToList();
        TableWriter.Write(console.Out, headers, rows.OfType<JsonObject>().Select(r => (IReadOnlyList<string>)
            [.. keys.Where(k => k != "meter").Select(k => Fields.Text(r, k)), Fields.Text(r, "meter"), Number(r["quantity"]), Fields.Text(r, "unit"),
             $"{Number(r["amount"])} {Fields.Text(r, "currency")}".Trim(), r["rated"]?.GetValue<bool>() == false ? "accruing" : "rated"]));
        return ExitCodes.Ok;
    }

    public static async Task<int> InvoicesAsync(CliConsole console, Session session, string? tenantFlag, OutputFormat format, string? period, CancellationToken cancellationToken)
    {
        var tenant = session.Tenant(tenantFlag);
        var path = period is null ? $"tenants/{tenant}/invoices" : $"tenants/{tenant}/invoices/{Uri.EscapeDataString(period)}";
        var body = (await session.Client.SendAsync(HttpMethod.Get, path, null, null, cancellationToken)).Body;
        if (format is OutputFormat.Json or OutputFormat.Yaml)
        {
            Printer.Document(console.Out, format, body);
            return ExitCodes.Ok;
        }
        if (period is null)
        {
            var invoices = (body as JsonArray ?? []).OfType<JsonObject>().ToList();
            if (invoices.Count == 0)
            {
                await console.Out.WriteLineAsync($"No invoices for tenant {tenant} yet.");
                return ExitCodes.Ok;
            }
            TableWriter.Write(console.Out, ["PERIOD", "STATUS", "TOTAL"], invoices.Select(i => (IReadOnlyList<string>)
                [Fields.Text(i, "period"), Fields.Text(i, "status"), Totals(i["totals"] as JsonObject)]));
            return ExitCodes.Ok;
        }
        var invoice = body as JsonObject ?? [];
        await console.Out.WriteLineAsync($"Invoice {Fields.Text(invoice, "period")} for {tenant}: {Fields.Text(invoice, "status")}, total {Totals(invoice["totals"] as JsonObject)}");
        TableWriter.Write(console.Out, ["PROJECT", "METER", "DIMENSION", "QUANTITY", "UNIT", "UNIT-PRICE", "AMOUNT"],
            (invoice["lines"] as JsonArray ?? []).OfType<JsonObject>().Select(l => (IReadOnlyList<string>)
                [Fields.Text(l, "project"), Fields.Text(l, "meter"), Fields.Text(l, "dimension"), Number(l["quantity"]), Fields.Text(l, "unit"),
                 Number(l["unitPrice"]), $"{Number(l["amount"])} {Fields.Text(l, "currency")}"]));
        return ExitCodes.Ok;
    }

    private static string Totals(JsonObject? totals) =>
        totals is null || totals.Count == 0 ? "0" : string.Join(", ", totals.Select(t => $"{Number(t.Value)} {t.Key}"));

    private static string Number(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<decimal>(out var d) ? d.ToString("0.######", CultureInfo.InvariantCulture) : node?.ToJsonString() ?? "";

    private static DateTimeOffset? Time(string? text, string flag)
    {
        if (text is null)
        {
            return null;
        }
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            ? time
            : throw new CliException(ExitCodes.Usage, $"{flag} {text}: give a date (2026-12-01) or a time (2026-12-01T08:00:00Z).");
    }
}
