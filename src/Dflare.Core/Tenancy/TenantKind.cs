using System.Net.Mail;
using Dflare.Core.Resources;
using Dflare.Persistence.Store;
using Dflare.Persistence.Tenancy;

namespace Dflare.Core.Tenancy;

public sealed class TenantKind : IResourceKind<Tenant, TenantRow, PlatformScope>
{
    /// <summary>Names the platform keeps for itself: the operators' realm and internal accounts.</summary>
    public static readonly IReadOnlySet<string> ReservedNames = new HashSet<string>(StringComparer.Ordinal) { "platform", "system" };

    public string Kind => Tenant.KindName;

    public string DependentsExplanation => "it still has projects; delete them first";

    public IReadOnlyList<string> ReferenceFields => [];

    public IQueryable<TenantRow> Query(DflareDbContext db, PlatformScope scope) => db.Tenants;

    public Task RemovingAsync(DflareDbContext db, TenantRow row, PlatformScope scope, bool force, CancellationToken cancellationToken) =>
        Identity.RealmData.DeleteAsync(db, row.Name, cancellationToken);

    public void Validate(Validation validation, Tenant resource, PlatformScope scope, bool creating)
    {
        Envelope.Validate(validation, resource, Kind, ReservedNames);
        if (!validation.Required("spec", resource.Spec))
        {
            return;
        }
        var spec = resource.Spec!;
        validation.Text("spec.displayName", spec.DisplayName, 128);
        validation.Text("spec.description", spec.Description, 1024);
        if (spec.ContactEmail is { } email && (email.Length > 254 || !IsEmail(email)))
        {
            validation.Add("spec.contactEmail", FieldErrorCodes.InvalidFormat, $"spec.contactEmail '{email}' is not an e-mail address.");
        }
    }

    public TenantRow NewRow(Tenant resource, PlatformScope scope, DateTimeOffset now)
    {
        var row = new TenantRow { Id = Guid.CreateVersion7(now), Name = resource.Metadata!.Name!, CreatedAt = now };
        Apply(row, resource);
        return row;
    }

    public void Apply(TenantRow row, Tenant resource)
    {
        row.Labels = Envelope.LabelsToJson(resource.Metadata!.Labels);
        row.DisplayName = resource.Spec!.DisplayName;
        row.Description = resource.Spec.Description;
        row.ContactEmail = resource.Spec.ContactEmail;
    }

    public Tenant ToResource(TenantRow row, PlatformScope scope) => new()
    {
        ApiVersion = ApiVersions.V1,
        Kind = Kind,
        Metadata = Envelope.MetadataOf(row),
        Spec = new TenantSpec { DisplayName = row.DisplayName, Description = row.Description, ContactEmail = row.ContactEmail },
        Status = new TenantStatus { Phase = "Active" },
    };

    private static bool IsEmail(string value) =>
        MailAddress.TryCreate(value, out var address) && address.Address == value && value.Contains('.', StringComparison.Ordinal);
}

/// <summary>The scope of platform-level objects such as tenants: there is one platform.</summary>
public sealed record PlatformScope
{
    public static readonly PlatformScope Instance = new();
}
