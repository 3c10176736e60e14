using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dflare.Core.Resources;
using Dflare.Core.Tenancy;
using Dflare.Persistence.Network;
using Dflare.Persistence.Store;
using Microsoft.EntityFrameworkCore;

namespace Dflare.Core.Network;

/// <summary>An Ethernet (leaf-spine, VXLAN EVPN) or InfiniBand (fat-tree) fabric as the API shows it.</summary>
public sealed record Fabric : IResource
{
    public const string KindName = "Fabric";

    public string? ApiVersion { get; init; }

    public string? Kind { get; init; }

    public ObjectMeta? Metadata { get; init; }

    public FabricSpec? Spec { get; init; }

    /// <summary>Observed state; ignored on writes.</summary>
    public FabricStatus? Status { get; init; }
}

public sealed record FabricSpec
{
    /// <summary><c>Ethernet</c> or <c>InfiniBand</c>.</summary>
    public string? Type { get; init; }

    /// <summary><c>Simulated</c> (default) or <c>Lab</c> (Linux namespaces, bridges and VXLAN on this host).</summary>
    public string? Driver { get; init; }

    public IReadOnlyList<FabricSwitch>? Switches { get; init; }

    /// <summary>Ethernet: which node NIC is cabled to which leaf port.</summary>
    public IReadOnlyList<FabricLink>? Links { get; init; }

    /// <summary>InfiniBand: each node's HCA ports, their GUIDs and the leaf switch they reach.</summary>
    public IReadOnlyList<FabricHca>? Hcas { get; init; }

    /// <summary>InfiniBand: who programs partitions.</summary>
    public SubnetManager? SubnetManager { get; init; }
}

/// <summary>A switch: <c>Leaf</c> or <c>Spine</c>; Ethernet leaves have a BGP ASN and a VTEP (their VXLAN source address).</summary>
public sealed record FabricSwitch(string? Name, string? Role, long? Asn, string? Vtep, string? Rack);

public sealed record FabricLink(string? Node, string? Nic, string? Switch, string? Port);

public sealed record FabricHca(string? Node, int? Port, string? PortGuid, string? Switch);

/// <summary><c>OpenSm</c> (partitions.conf) or <c>Ufm</c> (NVIDIA UFM's REST API at <see cref="Address"/>).</summary>
public sealed record SubnetManager(string? Kind, string? Address);

public sealed record FabricStatus(DateTimeOffset? SyncedAt, string? SyncError);

public static class FabricTypes
{
    public const string Ethernet = "Ethernet";
    public const string Infiniband = "InfiniBand";
}

public sealed partial class FabricKind : IResourceKind<Fabric, FabricRow, PlatformScope>
{
    public static readonly IReadOnlyList<string> Types = [FabricTypes.Ethernet, FabricTypes.Infiniband];
    public static readonly IReadOnlyList<string> Drivers = ["Simulated", "Lab"];
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private const int MaxItems = 20_000;

    public string Kind => Fabric.KindName;

    public string DependentsExplanation => "pools, VPCs or partitions still use it; delete them first";

    public IReadOnlyList<string> ReferenceFields => [];

    public IQueryable<FabricRow> Query(DflareDbContext db, PlatformScope scope) => db.Fabrics;

    public void Validate(Validation validation, Fabric resource, PlatformScope scope, bool creating)
    {
        Envelope.Validate(validation, resource, Kind);
        if (!validation.Required("spec", resource.Spec))
        {
            return;
        }
        var spec = resource.Spec!;
        var ethernet = spec.Type == FabricTypes.Ethernet;
        if (validation.Required("spec.type", spec.Type) && !Types.Contains(spec.Type))
        {
            validation.Add("spec.type", FieldErrorCodes.InvalidValue, $"spec.type must be one of {string.Join(", ", Types)}.");
        }
        if (spec.Driver is { } driver && !Drivers.Contains(driver))
        {
            validation.Add("spec.driver", FieldErrorCodes.InvalidValue, $"spec.driver must be one of {string.Join(", ", Drivers)}.");
        }
        var switches = spec.Switches ?? [];
        var leaves = new HashSet<string>(StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);
        var vteps = new HashSet<string>(StringComparer.Ordinal);
        if (switches.Count > MaxItems || (spec.Links?.Count ?? 0) > MaxItems || (spec.Hcas?.Count ?? 0) > MaxItems)
        {
            validation.Add("spec", FieldErrorCodes.TooMany, $"A fabric holds at most {MaxItems} switches, links and HCAs each.");
            return;
        }
        for (var i = 0; i < switches.Count; i++)
        {
            var field = $"spec.switches[{i}]";
            if (!validation.Required(field, switches[i]))
            {
                continue;
            }
            var sw = switches[i];
            Names.Validate(validation, $"{field}.name", sw.Name);
            if (sw.Name is not null && !names.Add(sw.Name))
            {
                validation.Add($"{field}.name", FieldErrorCodes.InvalidValue, $"Switch '{sw.Name}' is listed twice.");
            }
            if (sw.Role is not ("Leaf" or "Spine"))
            {
                validation.Add($"{field}.role", FieldErrorCodes.InvalidValue, $"{field}.role must be Leaf or Spine.");
            }
            if (sw.Role == "Leaf" && sw.Name is not null)
            {
                leaves.Add(sw.Name);
            }
            if (sw.Asn is { } asn && asn is < 1 or > 4_294_967_294)
            {
                validation.Add($"{field}.asn", FieldErrorCodes.OutOfRange, $"{field}.asn must be a BGP ASN from 1 to 4294967294.");
            }
            if (ethernet && sw.Role == "Leaf")
            {
                if (sw.Asn is null)
                {
                    validation.Add($"{field}.asn", FieldErrorCodes.Required, $"{field}.asn is required on an Ethernet leaf (it speaks BGP EVPN).");
                }
                if (!IPAddress.TryParse(sw.Vtep, out var vtep) || vtep.AddressFamily != AddressFamily.InterNetwork)
                {
                    validation.Add($"{field}.vtep", FieldErrorCodes.InvalidFormat, $"{field}.vtep must be the leaf's IPv4 VXLAN source address.");
                }
                else if (!vteps.Add(sw.Vtep!))
                {
                    validation.Add($"{field}.vtep", FieldErrorCodes.InvalidValue, $"VTEP {sw.Vtep} is used by two leaves.");
                }
            }
        }
        var cabled = new HashSet<(string?, string?)>();
        var ports = new HashSet<(string?, string?)>();
        var links = spec.Links ?? [];
        if (!ethernet && links.Count > 0)
        {
            validation.Add("spec.links", FieldErrorCodes.InvalidValue, "spec.links describe Ethernet cabling; an InfiniBand fabric lists spec.hcas.");
        }
        for (var i = 0; i < links.Count; i++)
        {
            var field = $"spec.links[{i}]";
            if (!validation.Required(field, links[i]))
            {
                continue;
            }
            var link = links[i];
            Names.Validate(validation, $"{field}.node", link.Node);
            if (link.Nic is null || !InterfaceName().IsMatch(link.Nic))
            {
                validation.Add($"{field}.nic", FieldErrorCodes.InvalidFormat, $"{field}.nic must be a Linux interface name (1-15 of a-z, 0-9, '-', '.', '_').");
            }
            if (link.Switch is null || !leaves.Contains(link.Switch))
            {
                validation.Add($"{field}.switch", FieldErrorCodes.UnknownReference, $"{field}.switch must name a leaf of this fabric.");
            }
            if (string.IsNullOrWhiteSpace(link.Port) || link.Port.Length > 63)
            {
                validation.Add($"{field}.port", FieldErrorCodes.InvalidFormat, $"{field}.port must name the switch port (1-63 characters).");
            }
            if (!cabled.Add((link.Node, link.Nic)))
            {
                validation.Add(field, FieldErrorCodes.InvalidValue, $"{link.Node} {link.Nic} is cabled twice.");
            }
            if (!ports.Add((link.Switch, link.Port)))
            {
                validation.Add(field, FieldErrorCodes.InvalidValue, $"Port {link.Port} of {link.Switch} is cabled twice.");
            }
        }
        var hcas = spec.Hcas ?? [];
        if (ethernet && hcas.Count > 0)
        {
            validation.Add("spec.hcas", FieldErrorCodes.InvalidValue, "spec.hcas belong to an InfiniBand fabric.");
        }
        var guids = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < hcas.Count; i++)
        {
            var field = $"spec.hcas[{i}]";
            if (!validation.Required(field, hcas[i]))
            {
                continue;
            }
            var hca = hcas[i];
            Names.Validate(validation, $"{field}.node", hca.Node);
            if (hca.PortGuid is null || !Guid().IsMatch(hca.PortGuid))
            {
                validation.Add($"{field}.portGuid", FieldErrorCodes.InvalidFormat, $"{field}.portGuid must be a port GUID: 0x and 16 hex digits.");
            }
            else if (!guids.Add(hca.PortGuid))
            {
                validation.Add($"{field}.portGuid", FieldErrorCodes.InvalidValue, $"GUID {hca.PortGuid} is listed twice.");
            }
            if (hca.Port is not (>= 1 and <= 254))
            {
                validation.Add($"{field}.port", FieldErrorCodes.OutOfRange, $"{field}.port must be an HCA port number from 1 to 254.");
            }
            if (hca.Switch is null || !leaves.Contains(hca.Switch))
            {
                validation.Add($"{field}.switch", FieldErrorCodes.UnknownReference, $"{field}.switch must name a leaf of this fabric.");
            }
        }
        if (spec.SubnetManager is { } sm)
        {
            if (ethernet)
            {
                validation.Add("spec.subnetManager", FieldErrorCodes.InvalidValue, "A subnet manager belongs to an InfiniBand fabric.");
            }
            if (sm.Kind is not ("OpenSm" or "Ufm"))
            {
                validation.Add("spec.subnetManager.kind", FieldErrorCodes.InvalidValue, "spec.subnetManager.kind must be OpenSm or Ufm.");
            }
            if (sm.Kind == "Ufm" && !Uri.TryCreate(sm.Address, UriKind.Absolute, out _))
            {
                validation.Add("spec.subnetManager.address", FieldErrorCodes.InvalidFormat, "spec.subnetManager.address must be UFM's https address.");
            }
        }
    }

    public async Task CheckAsync(Validation validation, DflareDbContext db, Fabric resource, PlatformScope scope, FabricRow? existing, CancellationToken cancellationToken)
    {
        if (existing is not null && existing.Type != resource.Spec!.Type)
        {
            validation.Add("spec.type", FieldErrorCodes.Mismatch, $"spec.type cannot change ('{existing.Type}').");
        }
        if (existing is not null && existing.Driver != (resource.Spec!.Driver ?? "Simulated")
            && (await db.Vpcs.AnyAsync(v => v.FabricId == existing.Id || v.InfinibandFabricId == existing.Id, cancellationToken)))
        {
            validation.Add("spec.driver", FieldErrorCodes.Mismatch, "spec.driver cannot change while VPCs use the fabric.");
        }
    }

    public FabricRow NewRow(Fabric resource, PlatformScope scope, DateTimeOffset now)
    {
        var row = new FabricRow { Id = System.Guid.CreateVersion7(now), Name = resource.Metadata!.Name!, Type = "", Driver = "", CreatedAt = now };
        Apply(row, resource);
        return row;
    }

    public void Apply(FabricRow row, Fabric resource)
    {
        var spec = resource.Spec!;
        row.Labels = Envelope.LabelsToJson(resource.Metadata!.Labels);
        row.Type = spec.Type!;
        row.Driver = spec.Driver ?? "Simulated";
        row.Spec = JsonSerializer.Serialize(spec with { Type = null, Driver = null }, Json);
    }

    public Fabric ToResource(FabricRow row, PlatformScope scope) => new()
    {
        ApiVersion = ApiVersions.V1,
        Kind = Kind,
        Metadata = Envelope.MetadataOf(row, null),
        Spec = SpecOf(row),
        Status = new FabricStatus(row.SyncedAt, row.SyncError),
    };

    public void Writing(DflareDbContext db, FabricRow row, PlatformScope scope, bool creating)
    {
        row.SyncError = null;
    }

    /// <summary>The stored spec with its type and driver.</summary>
    public static FabricSpec SpecOf(FabricRow row) =>
        JsonSerializer.Deserialize<FabricSpec>(row.Spec, Json)! with { Type = row.Type, Driver = row.Driver };

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,14}$")]
    private static partial Regex InterfaceName();

    [GeneratedRegex("^0x[0-9a-fA-F]{16}$")]
    private static partial Regex Guid();
}
