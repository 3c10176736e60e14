using System.Text.Json;
using Dflare.Core.Resources;
using Dflare.Persistence.Metering;
using Dflare.Persistence.Store;
using Dflare.Persistence.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Dflare.Core.Metering;

/// <summary>A monthly budget as the API shows it.</summary>
public sealed record Budget : IResource
{
    public const string KindName = "Budget";

    public string? ApiVersion { get; init; }

    public string? Kind { get; init; }

    public ObjectMeta? Metadata { get; init; }

    public BudgetSpec? Spec { get; init; }

    /// <summary>This month's spending and the alerts raised; ignored on writes.</summary>
    public BudgetStatus? Status { get; init; }
}

/// <summary><see cref="Project"/> unset: the whole tenant. <see cref="Thresholds"/>: percentages (default 50, 80, 100).</summary>
public sealed record BudgetSpec(string? Project, decimal? Amount, string? Currency, IReadOnlyList<int>? Thresholds);

public sealed record BudgetStatus(string Period, decimal Spent, IReadOnlyList<BudgetAlert> Alerts);

public sealed record BudgetAlert(int Threshold, decimal Spent, DateTimeOffset RaisedAt);

public sealed partial class BudgetKind(TimeProvider time) : IResourceKind<Budget, BudgetRow, TenantRow>
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string Kind => Budget.KindName;

    public string DependentsExplanation => "it is in use";

    public IReadOnlyList<string> ReferenceFields => [];

    public IQueryable<BudgetRow> Query(DflareDbContext db, TenantRow scope) => db.Budgets.Where(b => b.TenantId == scope.Id);

    public void Validate(Validation validation, Budget resource, TenantRow scope, bool creating)
    {
        Envelope.Validate(validation, resource, Kind);
        if (!validation.Required("spec", resource.Spec))
        {
            return;
        }
        var spec = resource.Spec!;
        if (spec.Project is not null)
        {
            Names.Validate(validation, "spec.project", spec.Project);
        }
        if (validation.Required("spec.amount", spec.Amount) && spec.Amount is <= 0 or > 1_000_000_000_000)
        {
            validation.Add("spec.amount", FieldErrorCodes.OutOfRange, "spec.amount must be positive.");
        }
        if (validation.Required("spec.currency", spec.Currency) && (spec.Currency!.Length != 3 || !spec.Currency.All(char.IsAsciiLetterUpper)))
        {
            validation.Add("spec.currency", FieldErrorCodes.InvalidFormat, "spec.currency must be an ISO 4217 code such as USD.");
        }
        var thresholds = spec.Thresholds ?? [];
        if (thresholds.Count > 10 || thresholds.Any(t => t is < 1 or > 1000) || thresholds.Distinct().Count() != thresholds.Count)
        {
            validation.Add("spec.thresholds", FieldErrorCodes.InvalidValue, "spec.thresholds holds up to 10 distinct percentages from 1 to 1000.");
        }
    }

    public async Task CheckAsync(Validation validation, DflareDbContext db, Budget resource, TenantRow scope, BudgetRow? existing, CancellationToken cancellationToken)
    {
        if (resource.Spec!.Project is { } project && !await db.Projects.AnyAsync(p => p.TenantId == scope.Id && p.Name == project, cancellationToken))
        {
            validation.Add("spec.project", FieldErrorCodes.UnknownReference, $"Tenant '{scope.Name}' has no project '{project}'.");
        }
    }

    public BudgetRow NewRow(Budget resource, TenantRow scope, DateTimeOffset now)
    {
        var row = new BudgetRow { Id = Guid.CreateVersion7(now), TenantId = scope.Id, Name = resource.Metadata!.Name!, Currency = "", CreatedAt = now };
        Apply(row, resource);
        return row;
    }

    public void Apply(BudgetRow row, Budget resource)
    {
        var spec = resource.Spec!;
        row.Labels = Envelope.LabelsToJson(resource.Metadata!.Labels);
        row.Project = spec.Project;
        row.Amount = spec.Amount!.Value;
        row.Currency = spec.Currency!;
        row.Thresholds = JsonSerializer.Serialize((spec.Thresholds ?? [50, 80, 100]).Order().ToArray(), Json);
    }

    public async Task<IReadOnlyList<Budget>> ReadAsync(DflareDbContext db, IReadOnlyList<BudgetRow> rows, TenantRow scope, CancellationToken cancellationToken)
    {
        var period = Invoices.PeriodOf(time.GetUtcNow());
        var records = await Budgets.MonthAsync(db, scope.Name, time.GetUtcNow(), cancellationToken);
        var ids = rows.Select(r => r.Id).ToList();
        var alerts = (await db.BudgetAlerts.AsNoTracking().Where(a => ids.Contains(a.BudgetId) && a.Period == period).ToListAsync(cancellationToken)).ToLookup(a => a.BudgetId);
        return [.. rows.Select(r => ToResource(r, scope) with
        {
            Status = new BudgetStatus(period, Invoices.Cents(Budgets.Spent(r, records)),
                [.. alerts[r.Id].OrderBy(a => a.Threshold).Select(a => new BudgetAlert(a.Threshold, Invoices.Cents(a.Spent), a.RaisedAt))]),
        })];
    }

    public Budget ToResource(BudgetRow row, TenantRow scope) => new()
    {
        ApiVersion = ApiVersions.V1,
        Kind = Kind,
        Metadata = Envelope.MetadataOf(row, scope.Name),
        Spec = new BudgetSpec(row.Project, row.Amount, row.Currency, JsonSerializer.Deserialize<int[]>(row.Thresholds, Json)),
    };
}

/// <summary>Budget checks after each rating pass: a threshold crossed this month raises one alert (stored, and logged
/// as a warning for whatever watches the log), never a second one for the same month.</summary>
public static partial class Budgets
{
    public static async Task<int> EvaluateAsync(DflareDbContext db, DateTimeOffset now, ILogger logger, CancellationToken cancellationToken)
    {
        var period = Invoices.PeriodOf(now);
        var budgets = await (from b in db.Budgets.AsNoTracking()
                             join t in db.Tenants.AsNoTracking() on b.TenantId equals t.Id
                             select new { Budget = b, Tenant = t.Name }).ToListAsync(cancellationToken);
        var raised = 0;
        foreach (var tenant in budgets.GroupBy(b => b.Tenant))
        {
            var records = await MonthAsync(db, tenant.Key, now, cancellationToken);
            foreach (var item in tenant)
            {
                var spent = Spent(item.Budget, records);
                var existing = await db.BudgetAlerts.Where(a => a.BudgetId == item.Budget.Id && a.Period == period).Select(a => a.Threshold).ToListAsync(cancellationToken);
                foreach (var threshold in JsonSerializer.Deserialize<int[]>(item.Budget.Thresholds)!.Where(t => !existing.Contains(t) && spent >= item.Budget.Amount * t / 100))
                {
                    db.BudgetAlerts.Add(new BudgetAlertRow { Id = Guid.CreateVersion7(now), BudgetId = item.Budget.Id, Period = period, Threshold = threshold, Spent = spent, RaisedAt = now });
                    Crossed(logger, tenant.Key, item.Budget.Name, threshold, Invoices.Cents(spent), item.Budget.Currency, item.Budget.Amount);
                    raised++;
                }
            }
        }
        await db.SaveChangesAsync(cancellationToken);
        return raised;
    }

    public static async Task<List<BillingRecordRow>> MonthAsync(DflareDbContext db, string tenant, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var start = new DateTimeOffset(now.UtcDateTime.Year, now.UtcDateTime.Month, 1, 0, 0, 0, TimeSpan.Zero);
        var end = start.AddMonths(1);
        return await db.BillingRecords.AsNoTracking().Where(r => r.Tenant == tenant && r.Hour >= start && r.Hour < end).ToListAsync(cancellationToken);
    }

    public static decimal Spent(BudgetRow budget, IEnumerable<BillingRecordRow> records) =>
        records.Where(r => r.Currency == budget.Currency && (budget.Project == null || r.Project == budget.Project)).Sum(r => r.Amount);

    [LoggerMessage(1, LogLevel.Warning, "Budget {Tenant}/{Budget} crossed {Threshold}%: {Spent} {Currency} of {Amount} this month")]
    private static partial void Crossed(ILogger logger, string tenant, string budget, int threshold, decimal spent, string currency, decimal amount);
}
