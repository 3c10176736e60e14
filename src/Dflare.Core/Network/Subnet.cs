using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dflare.Core.Resources;
using Dflare.Core.Workflows;
using Dflare.Persistence.Network;
using Dflare.Persistence.Store;
using Dflare.Persistence.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Dflare.Core.Network;

/// <summary>A subnet of a tenant's VPC as the API shows it.</summary>
public sealed record Subnet : IResource
{
    public const string KindName = "Subnet";

    public string? ApiVersion { get; init; }

    public string? Kind { get; init; }

    public ObjectMeta? Metadata { get; init; }

    public SubnetSpec? Spec { get; init; }

    /// <summary>Observed state; ignored on writes.</summary>
    public SubnetStatus? Status { get; init; }
}

public sealed record SubnetSpec
{
    public string? Vpc { get; init; }

    /// <summary>The IPv4 prefix. Default: the lowest free block of <see cref="PrefixLength"/> in the VPC's cidr, or one
    /// from the operator's pools when the VPC has none.</summary>
    public string? Cidr { get; init; }

    /// <summary>The length of a prefix chosen for the subnet: 16 to 30, default 24.</summary>
    public int? PrefixLength { get; init; }

    /// <summary>True adds an IPv6 /64 from the operator's pools (or give <see cref="Ipv6Cidr"/>).</summary>
    public bool? Ipv6 { get; init; }

    public string? Ipv6Cidr { get; init; }

    /// <summary>Ingress rules for routed traffic into the subnet (from its VPC's other subnets, or from outside), first
    /// match wins. Stateless, as switch ACLs are: replies need a rule of their own on the other side.</summary>
    public IReadOnlyList<IngressRule>? Ingress { get; init; }

    /// <summary><c>Allow</c> (default) or <c>Deny</c>: what routed traffic that no rule matches meets.</summary>
    public string? IngressDefault { get; init; }
}

/// <summary><see cref="From"/>: a CIDR, or <c>subnet:NAME</c> for a subnet of the same VPC. <see cref="Protocol"/>:
/// <c>any</c> (default), <c>tcp</c>, <c>udp</c> or <c>icmp</c>. <see cref="Ports"/>: <c>22</c> or <c>8000-8100</c>
/// (TCP and UDP). <see cref="Action"/>: <c>Allow</c> (default) or <c>Deny</c>.</summary>
public sealed record IngressRule(string? From, string? Protocol, string? Ports, string? Action);

public sealed record SubnetStatus(
    string Phase, string? Reason, string Cidr, string Gateway, string? Ipv6Cidr, string? Ipv6Gateway, int L2Vni,
    IReadOnlyDictionary<string, int> Vlans, int Attached);

public sealed partial class SubnetKind(Func<WorkflowClient> workflows, TimeProvider time) : IResourceKind<Subnet, SubnetRow, TenantRow>
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    public static readonly IReadOnlyList<string> Protocols = ["any", "tcp", "udp", "icmp"];
    private const int MaxRules = 100;

    public string Kind => Subnet.KindName;

    public string DependentsExplanation => "nodes are still attached to it; detach them first";

    public IReadOnlyList<string> ReferenceFields => ["spec.vpc"];

    public IQueryable<SubnetRow> Query(DflareDbContext db, TenantRow scope) => db.Subnets.Where(s => s.TenantId == scope.Id);

    public void Validate(Validation validation, Subnet resource, TenantRow scope, bool creating)
    {
        Envelope.Validate(validation, resource, Kind);
        NetworkValidation.TenantMatches(validation, resource.Metadata, scope);
        if (!validation.Required("spec", resource.Spec))
        {
            return;
        }
        var spec = resource.Spec!;
        Names.Validate(validation, "spec.vpc", spec.Vpc);
        if (spec.Cidr is not null && (!IpBlock.TryParse(spec.Cidr, out var cidr) || cidr.Family != AddressFamily.InterNetwork || cidr.Length is < 16 or > SubnetAddressing.MaxIpv4Length))
        {
            validation.Add("spec.cidr", FieldErrorCodes.InvalidFormat, "spec.cidr must be an IPv4 prefix from /16 to /30 with its host bits zero, e.g. 10.0.1.0/24.");
        }
        if (spec.PrefixLength is { } length && (length is < 16 or > SubnetAddressing.MaxIpv4Length || spec.Cidr is not null))
        {
            validation.Add("spec.prefixLength", FieldErrorCodes.OutOfRange, spec.Cidr is not null
                ? "Give spec.cidr or spec.prefixLength, not both."
                : "spec.prefixLength must be from 16 to 30.");
        }
        if (spec.Ipv6Cidr is not null && (!IpBlock.TryParse(spec.Ipv6Cidr, out var v6) || v6.Family != AddressFamily.InterNetworkV6 || v6.Length != SubnetAddressing.Ipv6Length))
        {
            validation.Add("spec.ipv6Cidr", FieldErrorCodes.InvalidFormat, "spec.ipv6Cidr must be an IPv6 /64 with its host bits zero.");
        }
        if (spec.IngressDefault is not (null or "Allow" or "Deny"))
        {
            validation.Add("spec.ingressDefault", FieldErrorCodes.InvalidValue, "spec.ingressDefault must be Allow or Deny.");
        }
        var rules = spec.Ingress ?? [];
        if (rules.Count > MaxRules)
        {
            validation.Add("spec.ingress", FieldErrorCodes.TooMany, $"spec.ingress holds at most {MaxRules} rules.");
            return;
        }
        for (var i = 0; i < rules.Count; i++)
        {
            var field = $"spec.ingress[{i}]";
            if (!validation.Required(field, rules[i]))
            {
                continue;
            }
            var rule = rules[i];
            if (!validation.Required($"{field}.from", rule.From))
            {
                // reported
            }
            else if (rule.From!.StartsWith("subnet:", StringComparison.Ordinal))
            {
                Names.Validate(validation, $"{field}.from", rule.From[7..]);
            }
            else if (!IpBlock.TryParse(rule.From, out _))
            {
                validation.Add($"{field}.from", FieldErrorCodes.InvalidFormat, $"{field}.from must be a CIDR prefix (host bits zero) or subnet:NAME.");
            }
            if (rule.Protocol is not null && !Protocols.Contains(rule.Protocol))
            {
                validation.Add($"{field}.protocol", FieldErrorCodes.InvalidValue, $"{field}.protocol must be one of {string.Join(", ", Protocols)}.");
            }
            if (rule.Ports is not null)
            {
                var match = PortRange().Match(rule.Ports);
                if (rule.Protocol is not ("tcp" or "udp"))
                {
                    validation.Add($"{field}.ports", FieldErrorCodes.InvalidValue, $"{field}.ports needs protocol tcp or udp.");
                }
                else if (!match.Success || !ValidPorts(match))
                {
                    validation.Add($"{field}.ports", FieldErrorCodes.InvalidFormat, $"{field}.ports must be a port (1-65535) or a range such as 8000-8100.");
                }
            }
            if (rule.Action is not (null or "Allow" or "Deny"))
            {
                validation.Add($"{field}.action", FieldErrorCodes.InvalidValue, $"{field}.action must be Allow or Deny.");
            }
        }
    }

    public async Task CheckAsync(Validation validation, DflareDbContext db, Subnet resource, TenantRow scope, SubnetRow? existing, CancellationToken cancellationToken)
    {
        var spec = resource.Spec!;
        var vpc = await db.Vpcs.AsNoTracking().FirstOrDefaultAsync(v => v.TenantId == scope.Id && v.Name == spec.Vpc, cancellationToken);
        if (vpc is null)
        {
            validation.Add("spec.vpc", FieldErrorCodes.UnknownReference, $"Tenant '{scope.Name}' has no VPC '{spec.Vpc}'.");
            return;
        }
        if (existing is not null)
        {
            if (existing.VpcId != vpc.Id || (spec.Cidr is not null && IpBlock.Parse(spec.Cidr).ToString() != existing.Cidr)
                || (spec.Ipv6Cidr is not null && IpBlock.Parse(spec.Ipv6Cidr).ToString() != existing.Ipv6Cidr) || (spec.Ipv6 == true && existing.Ipv6Cidr is null))
            {
                validation.Add("spec", FieldErrorCodes.Mismatch, "A subnet's vpc and prefixes cannot change; make a new subnet. Only spec.ingress and spec.ingressDefault can.");
            }
        }
        else if (spec.Cidr is not null && vpc.Cidr is not null && !IpBlock.Parse(vpc.Cidr).Contains(IpBlock.Parse(spec.Cidr)))
        {
            validation.Add("spec.cidr", FieldErrorCodes.OutOfRange, $"spec.cidr must lie inside the VPC's cidr {vpc.Cidr}.");
        }
        var rules = spec.Ingress ?? [];
        for (var i = 0; i < rules.Count; i++)
        {
            if (rules[i].From is { } from && from.StartsWith("subnet:", StringComparison.Ordinal)
                && from[7..] != resource.Metadata!.Name
                && !await db.Subnets.AnyAsync(s => s.TenantId == scope.Id && s.VpcId == vpc.Id && s.Name == from.Substring(7), cancellationToken))
            {
                validation.Add($"spec.ingress[{i}].from", FieldErrorCodes.UnknownReference, $"VPC '{vpc.Name}' has no subnet '{from[7..]}'.");
            }
        }
    }

    public SubnetRow NewRow(Subnet resource, TenantRow scope, DateTimeOffset now)
    {
        var row = new SubnetRow
        {
            Id = Guid.CreateVersion7(now), TenantId = scope.Id, Name = resource.Metadata!.Name!, Cidr = "", IngressDefault = "Allow",
            Phase = NetworkPhases.Pending, CreatedAt = now,
        };
        Apply(row, resource);
        return row;
    }

    public void Apply(SubnetRow row, Subnet resource)
    {
        var spec = resource.Spec!;
        row.Labels = Envelope.LabelsToJson(resource.Metadata!.Labels);
        // Left out on a replace, the rules stay: a PUT that forgets them never opens a subnet.
        if (spec.Ingress is not null)
        {
            row.Ingress = JsonSerializer.Serialize(spec.Ingress, Json);
        }
        row.IngressDefault = spec.IngressDefault ?? row.IngressDefault;
    }

    public async Task WritingAsync(DflareDbContext db, SubnetRow row, Subnet resource, TenantRow scope, bool creating, CancellationToken cancellationToken)
    {
        var spec = resource.Spec!;
        var vpc = await db.Vpcs.AsNoTracking().FirstAsync(v => v.TenantId == scope.Id && v.Name == spec.Vpc, cancellationToken);
        var fabric = await db.Fabrics.AsNoTracking().FirstAsync(f => f.Id == vpc.FabricId, cancellationToken);
        if (creating)
        {
            await PoolAllocator.LockFabricAsync(db, fabric.Id, cancellationToken);
            await AllocateAsync(db, row, spec, vpc, fabric, cancellationToken);
        }
        row.Phase = NetworkPhases.Pending;
        NetworkSync.Stage(workflows(), db, fabric.Name, $"subnet {scope.Name}/{row.Name} {(creating ? "created" : "changed")}");
    }

    private async Task AllocateAsync(DflareDbContext db, SubnetRow row, SubnetSpec spec, VpcRow vpc, FabricRow fabric, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        row.VpcId = vpc.Id;
        row.L2Vni = (int)await PoolAllocator.TakeAsync(db, fabric.Id, PoolKinds.L2Vni, 0, row.Id, "", now, cancellationToken);
        var vlans = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var leaf in NetworkIntents.Leaves(fabric))
        {
            vlans[leaf.Name] = (int)await PoolAllocator.TakeAsync(db, fabric.Id, PoolKinds.Vlan, 0, row.Id, leaf.Name, now, cancellationToken);
        }
        row.Vlans = JsonSerializer.Serialize(vlans, Json);
        var siblings = await db.Subnets.AsNoTracking().Where(s => s.VpcId == vpc.Id).Select(s => new { s.Cidr, s.Ipv6Cidr }).ToListAsync(cancellationToken);
        var taken = siblings.Select(s => IpBlock.Parse(s.Cidr)).Concat(siblings.Where(s => s.Ipv6Cidr != null).Select(s => IpBlock.Parse(s.Ipv6Cidr!))).ToList();
        var length = spec.PrefixLength ?? 24;
        IpBlock cidr;
        if (spec.Cidr is not null)
        {
            cidr = IpBlock.Parse(spec.Cidr);
        }
        else if (vpc.Cidr is not null)
        {
            var range = IpBlock.Parse(vpc.Cidr);
            cidr = FirstFree(range, length, taken) ?? throw new ResourceConflictException("pool-exhausted", "The VPC has no room.",
                $"VPC '{vpc.Name}' has no free /{length} left in {vpc.Cidr}; use a longer spec.prefixLength or delete a subnet.");
        }
        else
        {
            cidr = await FromPoolAsync(db, fabric, PoolKinds.Ipv4, length, row.Id, now, cancellationToken);
        }
        Overlapping(cidr, taken, vpc);
        row.Cidr = cidr.ToString();
        if (spec.Ipv6Cidr is not null || spec.Ipv6 == true)
        {
            var v6 = spec.Ipv6Cidr is not null ? IpBlock.Parse(spec.Ipv6Cidr) : await FromPoolAsync(db, fabric, PoolKinds.Ipv6, SubnetAddressing.Ipv6Length, row.Id, now, cancellationToken);
            Overlapping(v6, taken, vpc);
            row.Ipv6Cidr = v6.ToString();
        }
    }

    private static void Overlapping(IpBlock cidr, IReadOnlyList<IpBlock> taken, VpcRow vpc)
    {
        if (taken.FirstOrDefault(t => t.Overlaps(cidr)) is { } clash)
        {
            throw new ResourceConflictException("subnet-overlap", "The subnet overlaps another.",
                $"{cidr} overlaps {clash}, a subnet of VPC '{vpc.Name}'; addresses inside a VPC must be unique.");
        }
    }

    private static async Task<IpBlock> FromPoolAsync(DflareDbContext db, FabricRow fabric, string kind, int length, Guid owner, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var index = await PoolAllocator.TakeAsync(db, fabric.Id, kind, length, owner, "", now, cancellationToken);
        var added = db.ChangeTracker.Entries<NetworkAllocationRow>().Last(e => e.Entity.OwnerId == owner && e.Entity.Value == index).Entity;
        var pool = await db.NetworkPools.AsNoTracking().FirstAsync(p => p.Id == added.PoolId, cancellationToken);
        return IpBlock.Parse(pool.Prefix!).Child(length, (UInt128)index);
    }

    /// <summary>The lowest block of <paramref name="length"/> in <paramref name="range"/> that overlaps nothing taken.</summary>
    public static IpBlock? FirstFree(IpBlock range, int length, IReadOnlyList<IpBlock> taken)
    {
        var count = range.ChildCount(length);
        for (long i = 0; i < count; i++)
        {
            var candidate = range.Child(length, (UInt128)i);
            if (!taken.Any(t => t.Overlaps(candidate)))
            {
                return candidate;
            }
        }
        return null;
    }

    public async Task RemovingAsync(DflareDbContext db, SubnetRow row, TenantRow scope, bool force, CancellationToken cancellationToken)
    {
        var vpc = await db.Vpcs.AsNoTracking().FirstAsync(v => v.Id == row.VpcId, cancellationToken);
        await PoolAllocator.LockFabricAsync(db, vpc.FabricId, cancellationToken);
        await PoolAllocator.ReleaseAsync(db, row.Id, cancellationToken);
        var fabric = await db.Fabrics.AsNoTracking().FirstAsync(f => f.Id == vpc.FabricId, cancellationToken);
        NetworkSync.Stage(workflows(), db, fabric.Name, $"subnet {scope.Name}/{row.Name} deleted");
    }

    public async Task<IReadOnlyList<Subnet>> ReadAsync(DflareDbContext db, IReadOnlyList<SubnetRow> rows, TenantRow scope, CancellationToken cancellationToken)
    {
        var vpcs = await db.Vpcs.AsNoTracking().Where(v => v.TenantId == scope.Id).ToDictionaryAsync(v => v.Id, v => v.Name, cancellationToken);
        var ids = rows.Select(r => r.Id).ToList();
        var attached = await db.NetworkAttachments.AsNoTracking().Where(a => ids.Contains(a.SubnetId)).GroupBy(a => a.SubnetId)
            .Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, cancellationToken);
        return [.. rows.Select(r => ToResource(r, scope, vpcs.GetValueOrDefault(r.VpcId), attached.GetValueOrDefault(r.Id)))];
    }

    public Subnet ToResource(SubnetRow row, TenantRow scope) => ToResource(row, scope, null, 0);

    private Subnet ToResource(SubnetRow row, TenantRow scope, string? vpc, int attached) => new()
    {
        ApiVersion = ApiVersions.V1,
        Kind = Kind,
        Metadata = Envelope.MetadataOf(row, scope.Name),
        Spec = new SubnetSpec
        {
            Vpc = vpc, Cidr = row.Cidr.Length == 0 ? null : row.Cidr, Ipv6Cidr = row.Ipv6Cidr,
            Ingress = JsonSerializer.Deserialize<IngressRule[]>(row.Ingress, Json), IngressDefault = row.IngressDefault,
        },
        Status = row.Cidr.Length == 0 ? null : new SubnetStatus(
            row.Phase, row.Reason, row.Cidr, SubnetAddressing.Gateway(IpBlock.Parse(row.Cidr)).ToString(), row.Ipv6Cidr,
            row.Ipv6Cidr is null ? null : SubnetAddressing.Gateway(IpBlock.Parse(row.Ipv6Cidr)).ToString(), row.L2Vni,
            JsonSerializer.Deserialize<Dictionary<string, int>>(row.Vlans, Json)!, attached),
    };

    public static IReadOnlyList<IngressRule> RulesOf(SubnetRow row) => JsonSerializer.Deserialize<IngressRule[]>(row.Ingress, Json) ?? [];

    public static IReadOnlyDictionary<string, int> VlansOf(SubnetRow row) => JsonSerializer.Deserialize<Dictionary<string, int>>(row.Vlans, Json)!;

    private static bool ValidPorts(Match match)
    {
        var low = int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var high = match.Groups[2].Success ? int.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) : low;
        return low is >= 1 and <= 65535 && high is >= 1 and <= 65535 && low <= high;
    }

    [GeneratedRegex("^([0-9]{1,5})(?:-([0-9]{1,5}))?$")]
    private static partial Regex PortRange();
}
