using System.Globalization;
using Dflare.Core.Identity;
using Dflare.Core.Metering;
using Dflare.Core.Resources;
using Dflare.Persistence.Metering;
using Dflare.Persistence.Store;
using Dflare.Server.Access;
using Dflare.Server.Api.Json;
using Dflare.Server.Api.Problems;
using Dflare.Server.Api.Resources;
using Dflare.Server.Api.Tenancy;
using Dflare.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Dflare.Server.Api.Metering;

/// <summary>One row of a usage query: the grouped keys that were asked for, the quantity in the meter's unit, the amount;
/// <c>Rated</c> false for usage still accruing (not charged yet: its amount is what the price book in force makes of it).</summary>
public sealed record UsageRow(
    string? Project, string? User, string? Cluster, string Meter, string? Dimension, DateTimeOffset? Hour, DateOnly? Day, string Unit, decimal Quantity, string Currency, decimal Amount,
    bool Rated = true);

public sealed record InvoiceSummary(string Period, string Status, IReadOnlyDictionary<string, decimal> Totals);

/// <summary>
/// Operators: <c>POST /api/v1/usage-events</c> (ingestion), <c>POST /api/v1/metering/rate</c>, <c>/api/v1/price-books</c>.
/// Tenants: usage, invoices, chargeback and budgets under <c>/api/v1/tenants/{tenant}</c>; another tenant's answer 404.
/// </summary>
public static class MeteringEndpoints
{
    private static readonly string[] GroupKeys = ["project", "user", "cluster", "meter", "dimension", "hour", "day"];

    public static void MapMetering(this RouteGroupBuilder api)
    {
        var services = ((IEndpointRouteBuilder)api).ServiceProvider;
        api.MapPost("/usage-events", IngestAsync).RequirePermission(Permissions.MeteringIngest).WithName("ingestUsageEvents").WithTags("Metering")
            .WithSummary("Ingest a batch of CloudEvents usage events, exactly once by (source, id): a resent event changes nothing. A batch with one bad event stores nothing.")
            .Produces<IngestResult>().ProducesValidationProblem(StatusCodes.Status422UnprocessableEntity);
        api.MapPost("/metering/rate", RateAsync).RequirePermission(Permissions.BillingManage).WithName("rateUsage").WithTags("Metering")
            .WithSummary("Rate every complete hour now and check budgets (the rater does this every Metering:RateInterval).")
            .Produces<RatingResult>();
        api.MapGroup("/price-books").WithTags("Metering").MapResource(new PriceBookKind(), ScopeResolvers.Platform,
            ResourceAccess.Platform(Permissions.BillingManage, Permissions.BillingManage));

        var tenant = api.MapGroup("/tenants/{tenant}").WithTags("Metering");
        tenant.MapGet("/usage", UsageAsync).RequirePermissionInTenant(Permissions.BillingRead, "tenant").WithName("queryUsage")
            .WithSummary("Usage in [from, to) grouped by any of project, user, cluster, meter, dimension, hour, day (meter is always a key): rated hours, and (rated: false) usage still accruing.")
            .Produces<IReadOnlyList<UsageRow>>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        tenant.MapGet("/invoices", InvoicesAsync).RequirePermissionInTenant(Permissions.BillingRead, "tenant").WithName("listInvoices")
            .WithSummary("Every month with billing records, its status (Open or Final) and totals.")
            .Produces<IReadOnlyList<InvoiceSummary>>().ProducesProblem(StatusCodes.Status404NotFound);
        tenant.MapGet("/invoices/{period}", InvoiceAsync).RequirePermissionInTenant(Permissions.BillingRead, "tenant").WithName("readInvoice")
            .WithSummary("The invoice for a month (yyyy-MM) with a line per project, meter, dimension and price; format=csv for CSV.")
            .Produces<Invoice>().Produces<string>(contentType: "text/csv").ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        tenant.MapGet("/chargeback", ChargebackAsync).RequirePermissionInTenant(Permissions.BillingRead, "tenant").WithName("readChargeback")
            .WithSummary("A month's amounts per project (by=project) or per project and user (by=user); format=csv for CSV.")
            .Produces<IReadOnlyList<ChargebackLine>>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        tenant.MapGroup("/budgets").MapResource(new BudgetKind(services.GetRequiredService<TimeProvider>()), TenancyEndpoints.ResolveTenantAsync,
            ResourceAccess.InTenant(Permissions.BillingRead, Permissions.BudgetsWrite, Permissions.BudgetsWrite, Permissions.BudgetsWrite, objectIsProject: false));
    }

    private static async Task<IResult> IngestAsync(HttpContext http, DflareDbContext db, TimeProvider time, IOptions<MeteringOptions> options, CancellationToken cancellationToken)
    {
        var body = await RequestBodies.ReadAsync<UsageEventBatch>(http, cancellationToken);
        if (body.Problem is not null)
        {
            return body.Problem;
        }
        var now = time.GetUtcNow();
        var validation = new Validation();
        UsageIngestor.Validate(validation, body.Value!, now, options.Value.LateWindow);
        if (!validation.IsValid)
        {
            return Problem.Validation(validation.Errors);
        }
        return TypedResults.Ok(await UsageIngestor.IngestAsync(db, body.Value!.Events!, now, cancellationToken));
    }

    private static async Task<IResult> RateAsync(UsageRater rater, CancellationToken cancellationToken) => TypedResults.Ok(await rater.RateAsync(cancellationToken));

    private static async Task<IResult> UsageAsync(HttpContext http, DflareDbContext db, TimeProvider time, string? from, string? to, string? groupBy, CancellationToken cancellationToken)
    {
        var (tenant, problem) = await TenancyEndpoints.ResolveTenantAsync(http, db, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        if (!TryTime(from, out var start) || !TryTime(to, out var end) || end <= start)
        {
            return Problem.BadQuery(ProblemCodes.InvalidQuery, from is null || !TryTime(from, out _) ? "from" : "to", "from and to must be RFC 3339 times with to after from.");
        }
        var keys = (groupBy ?? "project,meter").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
        if (keys.FirstOrDefault(k => !GroupKeys.Contains(k)) is { } bad)
        {
            return Problem.BadQuery(ProblemCodes.InvalidQuery, "groupBy", $"'{bad}' is not a group key; use {string.Join(", ", GroupKeys)}.");
        }
        var records = await db.BillingRecords.AsNoTracking().Where(r => r.Tenant == tenant!.Name && r.Hour >= start && r.Hour < end).ToListAsync(cancellationToken);
        var entries = records.Select(r => new UsageEntry(new UsageKey(r.Project, r.User, r.Cluster, r.Meter, r.Dimension, r.Hour), r.Quantity, r.Amount, r.Currency, Rated: true)).ToList();
        entries.AddRange(await AccruingAsync(db, tenant!.Name, records, start, end, time.GetUtcNow(), cancellationToken));
        var rows = entries.GroupBy(e => (
                Project: keys.Contains("project") ? e.Key.Project : null, User: keys.Contains("user") ? e.Key.User : null,
                Cluster: keys.Contains("cluster") ? e.Key.Cluster : null, e.Key.Meter, Dimension: keys.Contains("dimension") ? e.Key.Dimension : null,
                Hour: keys.Contains("hour") ? e.Key.Hour : (DateTimeOffset?)null, Day: keys.Contains("day") ? DateOnly.FromDateTime(e.Key.Hour.UtcDateTime) : (DateOnly?)null,
                e.Currency, e.Rated))
            .Select(g =>
            {
                var meter = Meter.Named(g.Key.Meter)!;
                return new UsageRow(g.Key.Project, g.Key.User, g.Key.Cluster, g.Key.Meter, g.Key.Dimension, g.Key.Hour, g.Key.Day, meter.Unit,
                    Math.Round(g.Sum(e => e.Quantity) / meter.Divisor, 6), g.Key.Currency, Invoices.Cents(g.Sum(e => e.Amount)), g.Key.Rated);
            })
            .Where(r => r.Quantity != 0 || r.Amount != 0)
            .OrderBy(r => r.Hour).ThenBy(r => r.Day).ThenBy(r => r.Project, StringComparer.Ordinal).ThenBy(r => r.Meter, StringComparer.Ordinal).ThenBy(r => r.User, StringComparer.Ordinal)
            .ThenBy(r => r.Rated ? 0 : 1)
            .ToList();
        return TypedResults.Ok(rows);
    }

    /// <summary>
    /// Usage the rater has not charged yet — the hour under way, hours a pass has not reached, hours no price book
    /// covers — metered from the raw events up to now and priced as the rater would price it (0 where nothing does):
    /// what a tenant sees accruing before it is billed. Reads the tenant's events in one scan, as the rater does.
    /// </summary>
    private static async Task<IEnumerable<UsageEntry>> AccruingAsync(
        DflareDbContext db, string tenant, IReadOnlyList<BillingRecordRow> records, DateTimeOffset start, DateTimeOffset end, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (start >= now)
        {
            return [];
        }
        var charged = records.Select(r => new UsageKey(r.Project, r.User, r.Cluster, r.Meter, r.Dimension, r.Hour)).ToHashSet();
        // Events after the period cannot change its hours; earlier ones can (an allocation still open).
        var events = await db.UsageEvents.AsNoTracking().Where(e => e.Tenant == tenant && e.Time < end).ToListAsync(cancellationToken);
        var books = await db.PriceBooks.AsNoTracking().ToListAsync(cancellationToken);
        return UsageMeters.Compute(events, now)
            .Where(u => u.Key.Hour >= start && u.Key.Hour < end && !charged.Contains(u.Key))
            .Select(u =>
            {
                var price = PriceBookKind.Resolve(books, tenant, u.Key.Meter, u.Key.Dimension, u.Key.Hour);
                return new UsageEntry(u.Key, u.Value.Quantity, price is null ? 0 : UsageRater.Amount(u.Key.Meter, u.Value.Quantity, price.UnitPrice), price?.Currency ?? "", Rated: false);
            })
            .ToList();
    }

    private sealed record UsageEntry(UsageKey Key, decimal Quantity, decimal Amount, string Currency, bool Rated);

    private static async Task<IResult> InvoicesAsync(HttpContext http, DflareDbContext db, TimeProvider time, IOptions<MeteringOptions> options, CancellationToken cancellationToken)
    {
        var (tenant, problem) = await TenancyEndpoints.ResolveTenantAsync(http, db, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var records = await db.BillingRecords.AsNoTracking().Where(r => r.Tenant == tenant!.Name).ToListAsync(cancellationToken);
        return TypedResults.Ok(records.GroupBy(r => Invoices.PeriodOf(r.Hour)).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => Invoices.Build(tenant!.Name, g.Key, g, time.GetUtcNow(), options.Value.LateWindow))
            .Select(i => new InvoiceSummary(i.Period, i.Status, i.Totals)).ToList());
    }

    private static async Task<IResult> InvoiceAsync(
        HttpContext http, DflareDbContext db, string period, string? format, TimeProvider time, IOptions<MeteringOptions> options, CancellationToken cancellationToken)
    {
        var (tenant, problem) = await TenancyEndpoints.ResolveTenantAsync(http, db, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var (records, bad) = await MonthAsync(db, tenant!.Name, period, format, cancellationToken);
        if (bad is not null)
        {
            return bad;
        }
        var invoice = Invoices.Build(tenant.Name, period, records!, time.GetUtcNow(), options.Value.LateWindow);
        return format == "csv" ? TypedResults.Text(Invoices.Csv(invoice), "text/csv") : TypedResults.Ok(invoice);
    }

    private static async Task<IResult> ChargebackAsync(HttpContext http, DflareDbContext db, string? period, string? by, string? format, CancellationToken cancellationToken)
    {
        var (tenant, problem) = await TenancyEndpoints.ResolveTenantAsync(http, db, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        if (by is not (null or "project" or "user"))
        {
            return Problem.BadQuery(ProblemCodes.InvalidQuery, "by", "by must be project or user.");
        }
        var (records, bad) = await MonthAsync(db, tenant!.Name, period, format, cancellationToken);
        if (bad is not null)
        {
            return bad;
        }
        var lines = Invoices.Chargeback(records!, byUser: by == "user");
        return format == "csv"
            ? TypedResults.Text("project,user,currency,amount\n" + string.Concat(lines.Select(l => string.Create(CultureInfo.InvariantCulture, $"{l.Project},{l.User},{l.Currency},{l.Amount}\n"))), "text/csv")
            : TypedResults.Ok(lines);
    }

    private static async Task<(List<BillingRecordRow>? Records, IResult? Problem)> MonthAsync(DflareDbContext db, string tenant, string? period, string? format, CancellationToken cancellationToken)
    {
        if (!Invoices.TryParsePeriod(period, out var start))
        {
            return (null, Problem.BadQuery(ProblemCodes.InvalidQuery, "period", "period must be a month: yyyy-MM."));
        }
        if (format is not (null or "json" or "csv"))
        {
            return (null, Problem.BadQuery(ProblemCodes.InvalidQuery, "format", "format must be json or csv."));
        }
        var end = start.AddMonths(1);
        return (await db.BillingRecords.AsNoTracking().Where(r => r.Tenant == tenant && r.Hour >= start && r.Hour < end).ToListAsync(cancellationToken), null);
    }

    private static bool TryTime(string? text, out DateTimeOffset value) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value);
}
