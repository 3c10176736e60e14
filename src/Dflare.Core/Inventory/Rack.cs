using Dflare.Core.Resources;
using Dflare.Core.Tenancy;
using Dflare.Persistence.Inventory;
using Dflare.Persistence.Store;

namespace Dflare.Core.Inventory;

/// <summary>A rack: where it stands and which leaf switches (Ethernet, InfiniBand) its nodes are cabled to.</summary>
public sealed record Rack : IResource
{
    public const string KindName = "Rack";

    public string? ApiVersion { get; init; }

    public string? Kind { get; init; }

    public ObjectMeta? Metadata { get; init; }

    public RackSpec? Spec { get; init; }
}

public sealed record RackSpec
{
    /// <summary>The site's name. Required; the site must exist.</summary>
    public string? Site { get; init; }

    /// <summary>Position in the site, e.g. "A-07".</summary>
    public string? Position { get; init; }

    /// <summary>The top-of-rack Ethernet leaf switch.</summary>
    public string? EthernetLeaf { get; init; }

    /// <summary>The rack's InfiniBand leaf switch.</summary>
    public string? InfinibandLeaf { get; init; }
}

public sealed class RackKind : IResourceKind<Rack, RackRow, PlatformScope>
{
    public string Kind => Rack.KindName;

    public string DependentsExplanation => "nodes are still in it";

    public IReadOnlyList<string> ReferenceFields => ["spec.site"];

    public IQueryable<RackRow> Query(DflareDbContext db, PlatformScope scope) => db.Racks;

    public void Validate(Validation validation, Rack resource, PlatformScope scope, bool creating)
    {
        Envelope.Validate(validation, resource, Kind);
        if (!validation.Required("spec", resource.Spec))
        {
            return;
        }
        var spec = resource.Spec!;
        Names.Validate(validation, "spec.site", spec.Site);
        validation.Text("spec.position", spec.Position, 64);
        foreach (var (field, value) in new[] { ("spec.ethernetLeaf", spec.EthernetLeaf), ("spec.infinibandLeaf", spec.InfinibandLeaf) })
        {
            if (value is not null)
            {
                Names.Validate(validation, field, value);
            }
        }
    }

    public RackRow NewRow(Rack resource, PlatformScope scope, DateTimeOffset now)
    {
        var row = new RackRow { Id = Guid.CreateVersion7(now), Name = resource.Metadata!.Name!, Site = resource.Spec!.Site!, CreatedAt = now };
        Apply(row, resource);
        return row;
    }

    public void Apply(RackRow row, Rack resource)
    {
        var spec = resource.Spec!;
        row.Labels = Envelope.LabelsToJson(resource.Metadata!.Labels);
        row.Site = spec.Site!;
        row.Position = spec.Position;
        row.EthernetLeaf = spec.EthernetLeaf;
        row.InfinibandLeaf = spec.InfinibandLeaf;
    }

    public Rack ToResource(RackRow row, PlatformScope scope) => new()
    {
        ApiVersion = ApiVersions.V1,
        Kind = Kind,
        Metadata = Envelope.MetadataOf(row),
        Spec = new RackSpec { Site = row.Site, Position = row.Position, EthernetLeaf = row.EthernetLeaf, InfinibandLeaf = row.InfinibandLeaf },
    };
}
