using System.Globalization;
using System.Text;
using Dflare.Persistence.Metering;

namespace Dflare.Core.Metering;

/// <summary>A tenant's invoice for a calendar month (UTC).</summary>
public sealed record Invoice(string Tenant, string Period, string Status, IReadOnlyDictionary<string, decimal> Totals, IReadOnlyList<InvoiceLine> Lines);

/// <summary>One line: a project's use of one meter and dimension at one price. <see cref="Quantity"/> is in the meter's
/// unit (hours, GB), <see cref="Amount"/> rounded to the cent.</summary>
public sealed record InvoiceLine(string Project, string Meter, string Dimension, string Unit, decimal Quantity, decimal UnitPrice, string Currency, decimal Amount);

/// <summary>A project's (or a user's) share of a period.</summary>
public sealed record ChargebackLine(string Project, string? User, string Currency, decimal Amount);

/// <summary>
/// Invoices and chargeback are sums of billing records (charges and reversals alike), so they always agree with them.
/// Rounding happens once, per line: the exact sum of the line's records, rounded half to even to the cent; a total is
/// the sum of its lines.
/// </summary>
public static class Invoices
{
    public static bool TryParsePeriod(string? period, out DateTimeOffset start) =>
        DateTimeOffset.TryParseExact(period, "yyyy-MM", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out start);

    public static string PeriodOf(DateTimeOffset time) => time.ToUniversalTime().ToString("yyyy-MM", CultureInfo.InvariantCulture);

    /// <summary>Open while late events can still change it; Final after the month and the late window have passed.</summary>
    public static Invoice Build(string tenant, string period, IEnumerable<BillingRecordRow> records, DateTimeOffset now, TimeSpan lateWindow)
    {
        if (!TryParsePeriod(period, out var start))
        {
            throw new ArgumentException($"'{period}' is not a period (yyyy-MM).", nameof(period));
        }
        var lines = records
            .GroupBy(r => (r.Project, r.Meter, r.Dimension, r.UnitPrice, r.Currency))
            .Select(g =>
            {
                var meter = Meter.Named(g.Key.Meter)!;
                return new InvoiceLine(g.Key.Project, g.Key.Meter, g.Key.Dimension, meter.Unit, Math.Round(g.Sum(r => r.Quantity) / meter.Divisor, 6),
                    g.Key.UnitPrice, g.Key.Currency, Cents(g.Sum(r => r.Amount)));
            })
            .Where(l => l.Amount != 0 || l.Quantity != 0)
            .OrderBy(l => l.Project, StringComparer.Ordinal).ThenBy(l => l.Meter, StringComparer.Ordinal).ThenBy(l => l.Dimension, StringComparer.Ordinal).ThenBy(l => l.UnitPrice)
            .ToList();
        var totals = lines.GroupBy(l => l.Currency).ToDictionary(g => g.Key, g => g.Sum(l => l.Amount), StringComparer.Ordinal);
        var status = now >= start.AddMonths(1) + lateWindow ? "Final" : "Open";
        return new Invoice(tenant, period, status, totals, lines);
    }

    public static IReadOnlyList<ChargebackLine> Chargeback(IEnumerable<BillingRecordRow> records, bool byUser) => [.. records
        .GroupBy(r => (r.Project, User: byUser ? r.User : null, r.Currency))
        .Select(g => new ChargebackLine(g.Key.Project, g.Key.User, g.Key.Currency, Cents(g.Sum(r => r.Amount))))
        .OrderBy(c => c.Project, StringComparer.Ordinal).ThenBy(c => c.User, StringComparer.Ordinal)];

    public static decimal Cents(decimal amount) => Math.Round(amount, 2, MidpointRounding.ToEven);

    public static string Csv(Invoice invoice)
    {
        var text = new StringBuilder("tenant,period,project,meter,dimension,unit,quantity,unit_price,currency,amount\n");
        foreach (var l in invoice.Lines)
        {
            text.Append(CultureInfo.InvariantCulture, $"{Field(invoice.Tenant)},{invoice.Period},{Field(l.Project)},{l.Meter},{Field(l.Dimension)},{l.Unit},{l.Quantity},{l.UnitPrice},{l.Currency},{l.Amount}\n");
        }
        return text.ToString();
    }

    /// <summary>RFC 4180 quoting, and a leading quote for what a spreadsheet would run as a formula.</summary>
    private static string Field(string value)
    {
        var safe = value.Length > 0 && "=+-@".Contains(value[0], StringComparison.Ordinal) ? $"'{value}" : value;
        return safe.Contains(',', StringComparison.Ordinal) || safe.Contains('"', StringComparison.Ordinal) ? $"\"{safe.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : safe;
    }
}
