using Dflare.Core.Resources;
using Dflare.Core.Tenancy;
using Dflare.Persistence.Inventory;
using Dflare.Persistence.Store;

namespace Dflare.Core.Inventory;

/// <summary>A datacenter site. Operator-managed.</summary>
public sealed record Site : IResource
{
    public const string KindName = "Site";

    public string? ApiVersion { get; init; }

    public string? Kind { get; init; }

    public ObjectMeta? Metadata { get; init; }

    public SiteSpec? Spec { get; init; }
}

public sealed record SiteSpec
{
    public string? DisplayName { get; init; }

    /// <summary>Where it is, e.g. "Frankfurt, hall 2".</summary>
    public string? Location { get; init; }
}

public sealed class SiteKind : IResourceKind<Site, SiteRow, PlatformScope>
{
    public string Kind => Site.KindName;

    public string DependentsExplanation => "racks still stand in it; delete or move them first";

    public IReadOnlyList<string> ReferenceFields => [];

    public IQueryable<SiteRow> Query(DflareDbContext db, PlatformScope scope) => db.Sites;

    public void Validate(Validation validation, Site resource, PlatformScope scope, bool creating)
    {
        Envelope.Validate(validation, resource, Kind);
        if (validation.Required("spec", resource.Spec))
        {
            validation.Text("spec.displayName", resource.Spec!.DisplayName, 128);
            validation.Text("spec.location", resource.Spec.Location, 256);
        }
    }

    public SiteRow NewRow(Site resource, PlatformScope scope, DateTimeOffset now)
    {
        var row = new SiteRow { Id = Guid.CreateVersion7(now), Name = resource.Metadata!.Name!, CreatedAt = now };
        Apply(row, resource);
        return row;
    }

    public void Apply(SiteRow row, Site resource)
    {
        row.Labels = Envelope.LabelsToJson(resource.Metadata!.Labels);
        row.DisplayName = resource.Spec!.DisplayName;
        row.Location = resource.Spec.Location;
    }

    public Site ToResource(SiteRow row, PlatformScope scope) => new()
    {
        ApiVersion = ApiVersions.V1,
        Kind = Kind,
        Metadata = Envelope.MetadataOf(row),
        Spec = new SiteSpec { DisplayName = row.DisplayName, Location = row.Location },
    };
}
