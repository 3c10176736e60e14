using System.Text.Json;
using Dflare.Core.Resources;
using Dflare.Core.Tenancy;
using Dflare.Persistence.Network;
using Dflare.Persistence.Store;
using Microsoft.EntityFrameworkCore;

namespace Dflare.Core.Network;

/// <summary>An operator's pool of VRF ids, VNIs, VLAN ids, PKeys or subnet prefixes on one fabric.</summary>
public sealed record NetworkPool : IResource
{
    public const string KindName = "NetworkPool";

    public string? ApiVersion { get; init; }

    public string? Kind { get; init; }

    public ObjectMeta? Metadata { get; init; }

    public NetworkPoolSpec? Spec { get; init; }

    /// <summary>How much is taken; ignored on writes.</summary>
    public NetworkPoolStatus? Status { get; init; }
}

public sealed record NetworkPoolSpec
{
    public string? Fabric { get; init; }

    /// <summary>One of <see cref="PoolKinds.All"/>.</summary>
    public string? Kind { get; init; }

    /// <summary>Numeric pools: the first and last value, inclusive.</summary>
    public long? Start { get; init; }

    public long? End { get; init; }

    /// <summary>IP pools: the prefix tenant subnets are cut from, e.g. <c>10.128.0.0/12</c>.</summary>
    public string? Prefix { get; init; }

    /// <summary>IP pools: the length of each subnet (IPv4 16–30, default 24; IPv6 64).</summary>
    public int? SubnetLength { get; init; }

    /// <summary>VLAN pools: the leaves the range serves (VLAN ids are leaf-local). Default: every leaf.</summary>
    public IReadOnlyList<string>? Leaves { get; init; }
}

public sealed record NetworkPoolStatus(long Size, long Allocated);

public static class PoolKinds
{
    public const string Vrf = "Vrf";
    public const string L3Vni = "L3Vni";
    public const string L2Vni = "L2Vni";
    public const string Vlan = "Vlan";
    public const string Ipv4 = "Ipv4";
    public const string Ipv6 = "Ipv6";
    public const string PKey = "PKey";

    public static readonly IReadOnlyList<string> All = [Vrf, L3Vni, L2Vni, Vlan, Ipv4, Ipv6, PKey];

    /// <summary>The values a numeric kind may take: VLAN 1 is every switch's default and 4095 is reserved; PKey 0x7FFF
    /// is the default partition; VNIs are 24 bits.</summary>
    public static (long Min, long Max) Range(string kind) => kind switch
    {
        Vrf => (1, 65_535),
        L3Vni or L2Vni => (1, 16_777_215),
        Vlan => (2, 4094),
        PKey => (1, 0x7FFE),
        _ => (0, 0),
    };

    public static bool IsPrefix(string kind) => kind is Ipv4 or Ipv6;

    /// <summary>L2 and L3 VNIs are one number space on the wire.</summary>
    public static bool ShareSpace(string a, string b) => a == b || (a is L2Vni or L3Vni && b is L2Vni or L3Vni);
}

public sealed class NetworkPoolKind : IResourceKind<NetworkPool, NetworkPoolRow, PlatformScope>
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string Kind => NetworkPool.KindName;

    public string DependentsExplanation => "values are still allocated from it; release them first";

    public IReadOnlyList<string> ReferenceFields => ["spec.fabric"];

    public IQueryable<NetworkPoolRow> Query(DflareDbContext db, PlatformScope scope) => db.NetworkPools;

    public void Validate(Validation validation, NetworkPool resource, PlatformScope scope, bool creating)
    {
        Envelope.Validate(validation, resource, Kind);
        if (!validation.Required("spec", resource.Spec))
        {
            return;
        }
        var spec = resource.Spec!;
        Names.Validate(validation, "spec.fabric", spec.Fabric);
        if (!validation.Required("spec.kind", spec.Kind) || !PoolKinds.All.Contains(spec.Kind))
        {
            if (spec.Kind is not null)
            {
                validation.Add("spec.kind", FieldErrorCodes.InvalidValue, $"spec.kind must be one of {string.Join(", ", PoolKinds.All)}.");
            }
            return;
        }
        if (PoolKinds.IsPrefix(spec.Kind!))
        {
            if (spec.Start is not null || spec.End is not null)
            {
                validation.Add("spec.start", FieldErrorCodes.InvalidValue, "An IP pool has spec.prefix and spec.subnetLength, not a start and end.");
            }
            if (!validation.Required("spec.prefix", spec.Prefix))
            {
                return;
            }
            if (!IpBlock.TryParse(spec.Prefix, out var prefix) || (prefix.Family == System.Net.Sockets.AddressFamily.InterNetwork) != (spec.Kind == PoolKinds.Ipv4))
            {
                validation.Add("spec.prefix", FieldErrorCodes.InvalidFormat, $"spec.prefix must be an {(spec.Kind == PoolKinds.Ipv4 ? "IPv4" : "IPv6")} CIDR prefix with its host bits zero.");
                return;
            }
            var length = SubnetLength(spec);
            var (min, max) = spec.Kind == PoolKinds.Ipv4 ? (16, SubnetAddressing.MaxIpv4Length) : (SubnetAddressing.Ipv6Length, SubnetAddressing.Ipv6Length);
            if (length < Math.Max(min, prefix.Length) || length > max)
            {
                validation.Add("spec.subnetLength", FieldErrorCodes.OutOfRange, $"spec.subnetLength must be from {Math.Max(min, prefix.Length)} to {max}.");
            }
        }
        else
        {
            var (min, max) = PoolKinds.Range(spec.Kind!);
            foreach (var (field, value) in new[] { ("spec.start", spec.Start), ("spec.end", spec.End) })
            {
                if (validation.Required(field, value) && (value < min || value > max))
                {
                    validation.Add(field, FieldErrorCodes.OutOfRange, $"{field} must be from {min} to {max} for a {spec.Kind} pool.");
                }
            }
            if (spec.Start > spec.End)
            {
                validation.Add("spec.end", FieldErrorCodes.OutOfRange, "spec.end must not be below spec.start.");
            }
            if (spec.Prefix is not null || spec.SubnetLength is not null)
            {
                validation.Add("spec.prefix", FieldErrorCodes.InvalidValue, "Only IP pools have spec.prefix and spec.subnetLength.");
            }
        }
        if (spec.Leaves is { Count: > 0 } && spec.Kind != PoolKinds.Vlan)
        {
            validation.Add("spec.leaves", FieldErrorCodes.InvalidValue, "Only VLAN pools are per leaf.");
        }
    }

    public async Task CheckAsync(Validation validation, DflareDbContext db, NetworkPool resource, PlatformScope scope, NetworkPoolRow? existing, CancellationToken cancellationToken)
    {
        var spec = resource.Spec!;
        var fabric = await db.Fabrics.AsNoTracking().FirstOrDefaultAsync(f => f.Name == spec.Fabric, cancellationToken);
        if (fabric is null)
        {
            validation.Add("spec.fabric", FieldErrorCodes.UnknownReference, $"There is no fabric '{spec.Fabric}'.");
            return;
        }
        var wantsInfiniband = spec.Kind == PoolKinds.PKey;
        if (wantsInfiniband != (fabric.Type == FabricTypes.Infiniband))
        {
            validation.Add("spec.kind", FieldErrorCodes.InvalidValue, $"A {spec.Kind} pool belongs on an {(wantsInfiniband ? "InfiniBand" : "Ethernet")} fabric; '{fabric.Name}' is {fabric.Type}.");
            return;
        }
        var leaves = (FabricKind.SpecOf(fabric).Switches ?? []).Where(s => s.Role == "Leaf").Select(s => s.Name!).ToHashSet(StringComparer.Ordinal);
        var wanted = spec.Leaves ?? [];
        for (var i = 0; i < wanted.Count; i++)
        {
            if (!leaves.Contains(wanted[i]))
            {
                validation.Add($"spec.leaves[{i}]", FieldErrorCodes.UnknownReference, $"Fabric '{fabric.Name}' has no leaf '{wanted[i]}'.");
            }
        }
        if (existing is not null && (existing.FabricId != fabric.Id || existing.Kind != spec.Kind))
        {
            validation.Add("spec.kind", FieldErrorCodes.Mismatch, "spec.fabric and spec.kind cannot change; make a new pool.");
            return;
        }
        var candidate = new NetworkPoolRow { Name = resource.Metadata!.Name!, Kind = spec.Kind! };
        Fill(candidate, spec, fabric.Id);
        var others = await db.NetworkPools.AsNoTracking().Where(p => p.FabricId == fabric.Id && p.Name != candidate.Name).ToListAsync(cancellationToken);
        foreach (var other in others.Where(o => PoolKinds.ShareSpace(o.Kind, candidate.Kind) && Overlap(o, candidate)))
        {
            validation.Add(PoolKinds.IsPrefix(candidate.Kind) ? "spec.prefix" : "spec.start", FieldErrorCodes.InvalidValue,
                $"The range overlaps pool '{other.Name}' on the same fabric; two pools must never hand out the same value.");
        }
        if (existing is not null)
        {
            var size = Size(candidate);
            var (low, high) = PoolKinds.IsPrefix(candidate.Kind) ? (0L, size - 1) : (candidate.Start, candidate.End);
            if (PoolKinds.IsPrefix(candidate.Kind) && (candidate.Prefix != existing.Prefix || candidate.BlockLength != existing.BlockLength)
                && await db.NetworkAllocations.AnyAsync(a => a.PoolId == existing.Id, cancellationToken))
            {
                validation.Add("spec.prefix", FieldErrorCodes.Mismatch, "spec.prefix and spec.subnetLength cannot change while subnets are cut from the pool.");
            }
            else if (await db.NetworkAllocations.AnyAsync(a => a.PoolId == existing.Id && (a.Value < low || a.Value > high), cancellationToken))
            {
                validation.Add("spec.start", FieldErrorCodes.OutOfRange, "The new range leaves out values that are allocated; release them first.");
            }
        }
    }

    public NetworkPoolRow NewRow(NetworkPool resource, PlatformScope scope, DateTimeOffset now)
    {
        var row = new NetworkPoolRow { Id = Guid.CreateVersion7(now), Name = resource.Metadata!.Name!, Kind = resource.Spec!.Kind!, CreatedAt = now };
        Apply(row, resource);
        return row;
    }

    public void Apply(NetworkPoolRow row, NetworkPool resource)
    {
        row.Labels = Envelope.LabelsToJson(resource.Metadata!.Labels);
        Fill(row, resource.Spec!, row.FabricId);
    }

    /// <summary>The fabric (which cannot change) is looked up once, when the pool is created.</summary>
    public async Task WritingAsync(DflareDbContext db, NetworkPoolRow row, NetworkPool resource, PlatformScope scope, bool creating, CancellationToken cancellationToken)
    {
        if (creating)
        {
            row.FabricId = await db.Fabrics.AsNoTracking().Where(f => f.Name == resource.Spec!.Fabric).Select(f => f.Id).FirstAsync(cancellationToken);
        }
    }

    public async Task<IReadOnlyList<NetworkPool>> ReadAsync(DflareDbContext db, IReadOnlyList<NetworkPoolRow> rows, PlatformScope scope, CancellationToken cancellationToken)
    {
        var ids = rows.Select(r => r.Id).ToList();
        var fabricIds = rows.Select(r => r.FabricId).Distinct().ToList();
        var fabrics = await db.Fabrics.AsNoTracking().Where(f => fabricIds.Contains(f.Id)).ToDictionaryAsync(f => f.Id, f => f.Name, cancellationToken);
        var counts = await db.NetworkAllocations.AsNoTracking().Where(a => ids.Contains(a.PoolId)).GroupBy(a => a.PoolId)
            .Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => (long)g.Count, cancellationToken);
        return [.. rows.Select(r => ToResource(r, fabrics.GetValueOrDefault(r.FabricId), counts.GetValueOrDefault(r.Id)))];
    }

    public NetworkPool ToResource(NetworkPoolRow row, PlatformScope scope) => ToResource(row, null, 0);

    private NetworkPool ToResource(NetworkPoolRow row, string? fabric, long allocated) => new()
    {
        ApiVersion = ApiVersions.V1,
        Kind = Kind,
        Metadata = Envelope.MetadataOf(row, null),
        Spec = new NetworkPoolSpec
        {
            Fabric = fabric, Kind = row.Kind,
            Start = PoolKinds.IsPrefix(row.Kind) ? null : row.Start, End = PoolKinds.IsPrefix(row.Kind) ? null : row.End,
            Prefix = row.Prefix, SubnetLength = PoolKinds.IsPrefix(row.Kind) ? row.BlockLength : null,
            Leaves = JsonSerializer.Deserialize<string[]>(row.Leaves, Json),
        },
        Status = new NetworkPoolStatus(Size(row), allocated),
    };

    /// <summary>How many values (or subnet blocks) the pool holds; a VLAN pool per leaf.</summary>
    public static long Size(NetworkPoolRow row) => PoolKinds.IsPrefix(row.Kind) && row.Prefix is not null
        ? IpBlock.Parse(row.Prefix).ChildCount(row.BlockLength)
        : row.End - row.Start + 1;

    private static int SubnetLength(NetworkPoolSpec spec) => spec.SubnetLength ?? (spec.Kind == PoolKinds.Ipv6 ? SubnetAddressing.Ipv6Length : 24);

    private static void Fill(NetworkPoolRow row, NetworkPoolSpec spec, Guid fabricId)
    {
        row.FabricId = fabricId;
        row.Kind = spec.Kind!;
        if (PoolKinds.IsPrefix(spec.Kind!))
        {
            row.Prefix = IpBlock.Parse(spec.Prefix!).ToString();
            row.BlockLength = SubnetLength(spec);
            row.Start = 0;
            row.End = 0;
        }
        else
        {
            row.Start = spec.Start!.Value;
            row.End = spec.End!.Value;
        }
        row.Leaves = JsonSerializer.Serialize(spec.Leaves ?? [], Json);
    }

    private static bool Overlap(NetworkPoolRow a, NetworkPoolRow b)
    {
        if (PoolKinds.IsPrefix(a.Kind))
        {
            return IpBlock.Parse(a.Prefix!).Overlaps(IpBlock.Parse(b.Prefix!));
        }
        if (a.Start > b.End || b.Start > a.End)
        {
            return false;
        }
        if (a.Kind != PoolKinds.Vlan)
        {
            return true;
        }
        // VLAN ranges collide only where both pools serve the same leaf (an empty list serves all).
        var left = JsonSerializer.Deserialize<string[]>(a.Leaves, Json)!;
        var right = JsonSerializer.Deserialize<string[]>(b.Leaves, Json)!;
        return left.Length == 0 || right.Length == 0 || left.Intersect(right, StringComparer.Ordinal).Any();
    }
}
