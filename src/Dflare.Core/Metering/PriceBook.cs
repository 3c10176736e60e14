using System.Text.Json;
using System.Text.RegularExpressions;
using Dflare.Core.Resources;
using Dflare.Core.Tenancy;
using Dflare.Persistence.Metering;
using Dflare.Persistence.Store;
using Microsoft.EntityFrameworkCore;

namespace Dflare.Core.Metering;

/// <summary>A price book as the API shows it.</summary>
public sealed record PriceBook : IResource
{
    public const string KindName = "PriceBook";

    public string? ApiVersion { get; init; }

    public string? Kind { get; init; }

    public ObjectMeta? Metadata { get; init; }

    public PriceBookSpec? Spec { get; init; }
}

public sealed record PriceBookSpec
{
    /// <summary>ISO 4217, e.g. <c>USD</c>.</summary>
    public string? Currency { get; init; }

    /// <summary>Hours from this moment on are priced by this book (until a later one of the same scope).</summary>
    public DateTimeOffset? EffectiveFrom { get; init; }

    /// <summary>Set: an override for this tenant, whose prices replace the platform's for the meters it lists and
    /// whose discount applies to every price the tenant pays.</summary>
    public string? Tenant { get; init; }

    public decimal? DiscountPercent { get; init; }

    public IReadOnlyList<Price>? Prices { get; init; }
}

/// <summary>A price per unit of <see cref="Meter"/> (see <see cref="Metering.Meter.All"/>); <see cref="Dimension"/>
/// is a GPU model (<c>H100-SXM5-80GB</c>, or with a MIG profile <c>H100-SXM5-80GB/1g.10gb</c>), a tier, a direction,
/// or <c>*</c> for any.</summary>
public sealed record Price(string? Meter, string? Dimension, decimal? UnitPrice);

/// <summary>The price an hour is rated at, and where it came from.</summary>
public sealed record ResolvedPrice(decimal UnitPrice, string Currency, string Book);

public sealed partial class PriceBookKind : IResourceKind<PriceBook, PriceBookRow, PlatformScope>
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private const int MaxPrices = 1000;

    public string Kind => PriceBook.KindName;

    public string DependentsExplanation => "it is in use";

    public IReadOnlyList<string> ReferenceFields => [];

    public IQueryable<PriceBookRow> Query(DflareDbContext db, PlatformScope scope) => db.PriceBooks;

    public void Validate(Validation validation, PriceBook resource, PlatformScope scope, bool creating)
    {
        Envelope.Validate(validation, resource, Kind);
        if (!validation.Required("spec", resource.Spec))
        {
            return;
        }
        var spec = resource.Spec!;
        if (validation.Required("spec.currency", spec.Currency) && !Currency().IsMatch(spec.Currency!))
        {
            validation.Add("spec.currency", FieldErrorCodes.InvalidFormat, "spec.currency must be an ISO 4217 code such as USD.");
        }
        validation.Required("spec.effectiveFrom", spec.EffectiveFrom);
        if (spec.Tenant is not null)
        {
            Names.Validate(validation, "spec.tenant", spec.Tenant);
        }
        if (spec.DiscountPercent is < 0 or > 100)
        {
            validation.Add("spec.discountPercent", FieldErrorCodes.OutOfRange, "spec.discountPercent must be from 0 to 100.");
        }
        var prices = spec.Prices ?? [];
        if (prices.Count > MaxPrices)
        {
            validation.Add("spec.prices", FieldErrorCodes.TooMany, $"spec.prices holds at most {MaxPrices} entries.");
            return;
        }
        var seen = new HashSet<(string?, string?)>();
        for (var i = 0; i < prices.Count; i++)
        {
            var field = $"spec.prices[{i}]";
            if (!validation.Required(field, prices[i]))
            {
                continue;
            }
            var price = prices[i];
            if (price.Meter is null || Meter.Named(price.Meter) is null)
            {
                validation.Add($"{field}.meter", FieldErrorCodes.InvalidValue, $"{field}.meter must be one of {string.Join(", ", Meter.All.Select(m => m.Name))}.");
            }
            if (string.IsNullOrEmpty(price.Dimension) || price.Dimension.Length > 128)
            {
                validation.Add($"{field}.dimension", FieldErrorCodes.Required, $"{field}.dimension is required (a GPU model, tier, direction, or * for any).");
            }
            if (price.UnitPrice is not { } unit || unit < 0 || unit > 1_000_000 || decimal.Round(unit, 6) != unit)
            {
                validation.Add($"{field}.unitPrice", FieldErrorCodes.OutOfRange, $"{field}.unitPrice must be from 0 to 1000000 with at most 6 decimals.");
            }
            if (!seen.Add((price.Meter, price.Dimension)))
            {
                validation.Add(field, FieldErrorCodes.InvalidValue, $"{price.Meter} {price.Dimension} is priced twice.");
            }
        }
    }

    public async Task CheckAsync(Validation validation, DflareDbContext db, PriceBook resource, PlatformScope scope, PriceBookRow? existing, CancellationToken cancellationToken)
    {
        var spec = resource.Spec!;
        if (spec.Tenant is not null && !await db.Tenants.AnyAsync(t => t.Name == spec.Tenant, cancellationToken))
        {
            validation.Add("spec.tenant", FieldErrorCodes.UnknownReference, $"There is no tenant '{spec.Tenant}'.");
        }
        var at = spec.EffectiveFrom!.Value.ToUniversalTime();
        if (await db.PriceBooks.AnyAsync(p => p.Tenant == spec.Tenant && p.EffectiveFrom == at && p.Name != resource.Metadata!.Name, cancellationToken))
        {
            validation.Add("spec.effectiveFrom", FieldErrorCodes.InvalidValue, "Another book of the same scope takes effect at the same moment.");
        }
    }

    public PriceBookRow NewRow(PriceBook resource, PlatformScope scope, DateTimeOffset now)
    {
        var row = new PriceBookRow { Id = Guid.CreateVersion7(now), Name = resource.Metadata!.Name!, Currency = "", CreatedAt = now };
        Apply(row, resource);
        return row;
    }

    public void Apply(PriceBookRow row, PriceBook resource)
    {
        var spec = resource.Spec!;
        row.Labels = Envelope.LabelsToJson(resource.Metadata!.Labels);
        row.Currency = spec.Currency!;
        row.EffectiveFrom = spec.EffectiveFrom!.Value.ToUniversalTime();
        row.Tenant = spec.Tenant;
        row.DiscountPercent = spec.DiscountPercent ?? 0;
        row.Prices = JsonSerializer.Serialize(spec.Prices ?? [], Json);
    }

    public PriceBook ToResource(PriceBookRow row, PlatformScope scope) => new()
    {
        ApiVersion = ApiVersions.V1,
        Kind = Kind,
        Metadata = Envelope.MetadataOf(row, null),
        Spec = new PriceBookSpec
        {
            Currency = row.Currency, EffectiveFrom = row.EffectiveFrom, Tenant = row.Tenant, DiscountPercent = row.DiscountPercent,
            Prices = JsonSerializer.Deserialize<Price[]>(row.Prices, Json),
        },
    };

    /// <summary>The price of a meter and dimension for a tenant in an hour: the tenant's newest book in effect if it
    /// lists the meter, else the platform's newest in effect; an exact dimension before <c>*</c>; then the tenant's
    /// discount. Null when nothing prices it.</summary>
    public static ResolvedPrice? Resolve(IReadOnlyList<PriceBookRow> books, string tenant, string meter, string dimension, DateTimeOffset hour)
    {
        var own = books.Where(b => b.Tenant == tenant && b.EffectiveFrom <= hour).MaxBy(b => b.EffectiveFrom);
        var platform = books.Where(b => b.Tenant is null && b.EffectiveFrom <= hour).MaxBy(b => b.EffectiveFrom);
        foreach (var book in new[] { own, platform })
        {
            if (book is null)
            {
                continue;
            }
            var prices = JsonSerializer.Deserialize<Price[]>(book.Prices, Json)!;
            var price = prices.FirstOrDefault(p => p.Meter == meter && p.Dimension == dimension) ?? prices.FirstOrDefault(p => p.Meter == meter && p.Dimension == "*");
            if (price is not null)
            {
                var discount = own?.DiscountPercent ?? 0;
                return new ResolvedPrice(price.UnitPrice!.Value * (100 - discount) / 100, book.Currency, book.Name);
            }
        }
        return null;
    }

    [GeneratedRegex("^[A-Z]{3}$")]
    private static partial Regex Currency();
}
