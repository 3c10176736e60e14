using Dflare.Core.Resources;
using Dflare.Core.Workflows;
using Dflare.Persistence.Network;
using Dflare.Persistence.Store;
using Dflare.Persistence.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Dflare.Core.Network;

/// <summary>A tenant's VPC as the API shows it.</summary>
public sealed record Vpc : IResource
{
    public const string KindName = "Vpc";

    public string? ApiVersion { get; init; }

    public string? Kind { get; init; }

    public ObjectMeta? Metadata { get; init; }

    public VpcSpec? Spec { get; init; }

    /// <summary>Observed state; ignored on writes.</summary>
    public VpcStatus? Status { get; init; }
}

public sealed record VpcSpec
{
    public string? Project { get; init; }

    /// <summary>The Ethernet fabric it lives on.</summary>
    public string? Fabric { get; init; }

    /// <summary>The tenant's own IPv4 range its subnets are cut from (may overlap other tenants'). Default: none, and
    /// subnets take prefixes from the operator's pools.</summary>
    public string? Cidr { get; init; }

    /// <summary>An InfiniBand fabric whose tenant partition the VPC's nodes join. Default: none.</summary>
    public string? Infiniband { get; init; }
}

public sealed record VpcStatus(string Phase, string? Reason, int VrfId, int L3Vni, string RouteTarget, string? PartitionKey);

public static class NetworkPhases
{
    public const string Pending = "Pending";
    public const string Ready = "Ready";
    public const string Failed = "Failed";
}

/// <summary>
/// Creating a VPC takes a VRF id and an L3 VNI from the fabric's pools (and, with <c>spec.infiniband</c>, the
/// tenant's partition key) in the create's transaction, then stages <c>sync-fabric</c>. The spec cannot change
/// afterwards except for labels; deleting gives every value back.
/// </summary>
/// <param name="workflows">Resolved on first use: endpoints are mapped before the configuration is checked.</param>
/// <param name="time">The clock of allocation records.</param>
public sealed class VpcKind(Func<WorkflowClient> workflows, TimeProvider time) : IResourceKind<Vpc, VpcRow, TenantRow>
{
    public string Kind => Vpc.KindName;

    public string DependentsExplanation => "it still has subnets; delete them first";

    public IReadOnlyList<string> ReferenceFields => ["spec.project", "spec.fabric"];

    public IQueryable<VpcRow> Query(DflareDbContext db, TenantRow scope) => db.Vpcs.Where(v => v.TenantId == scope.Id);

    public void Validate(Validation validation, Vpc resource, TenantRow scope, bool creating)
    {
        Envelope.Validate(validation, resource, Kind);
        NetworkValidation.TenantMatches(validation, resource.Metadata, scope);
        if (!validation.Required("spec", resource.Spec))
        {
            return;
        }
        var spec = resource.Spec!;
        Names.Validate(validation, "spec.project", spec.Project);
        Names.Validate(validation, "spec.fabric", spec.Fabric);
        if (spec.Infiniband is not null)
        {
            Names.Validate(validation, "spec.infiniband", spec.Infiniband);
        }
        if (spec.Cidr is not null && (!IpBlock.TryParse(spec.Cidr, out var cidr) || cidr.Family != System.Net.Sockets.AddressFamily.InterNetwork || cidr.Length is < 8 or > SubnetAddressing.MaxIpv4Length))
        {
            validation.Add("spec.cidr", FieldErrorCodes.InvalidFormat, "spec.cidr must be an IPv4 prefix from /8 to /30 with its host bits zero, e.g. 10.0.0.0/16.");
        }
    }

    public async Task CheckAsync(Validation validation, DflareDbContext db, Vpc resource, TenantRow scope, VpcRow? existing, CancellationToken cancellationToken)
    {
        var spec = resource.Spec!;
        var fabric = await db.Fabrics.AsNoTracking().FirstOrDefaultAsync(f => f.Name == spec.Fabric, cancellationToken);
        if (fabric is null || fabric.Type != FabricTypes.Ethernet)
        {
            validation.Add("spec.fabric", FieldErrorCodes.UnknownReference, $"There is no Ethernet fabric '{spec.Fabric}'.");
        }
        if (spec.Infiniband is not null && !await db.Fabrics.AnyAsync(f => f.Name == spec.Infiniband && f.Type == FabricTypes.Infiniband, cancellationToken))
        {
            validation.Add("spec.infiniband", FieldErrorCodes.UnknownReference, $"There is no InfiniBand fabric '{spec.Infiniband}'.");
        }
        if (!await db.Projects.AnyAsync(p => p.TenantId == scope.Id && p.Name == spec.Project, cancellationToken))
        {
            validation.Add("spec.project", FieldErrorCodes.UnknownReference, $"Tenant '{scope.Name}' has no project '{spec.Project}'.");
        }
        if (existing is not null && fabric is not null)
        {
            var infiniband = spec.Infiniband is null ? null : await db.Fabrics.Where(f => f.Name == spec.Infiniband).Select(f => (Guid?)f.Id).FirstOrDefaultAsync(cancellationToken);
            var cidr = spec.Cidr is null ? null : IpBlock.Parse(spec.Cidr).ToString();
            if (existing.FabricId != fabric.Id || existing.Cidr != cidr || existing.InfinibandFabricId != infiniband || existing.Project != spec.Project)
            {
                validation.Add("spec", FieldErrorCodes.Mismatch, "A VPC's project, fabric, cidr and infiniband cannot change; make a new VPC.");
            }
        }
    }

    public VpcRow NewRow(Vpc resource, TenantRow scope, DateTimeOffset now)
    {
        var spec = resource.Spec!;
        var row = new VpcRow
        {
            Id = Guid.CreateVersion7(now), TenantId = scope.Id, Name = resource.Metadata!.Name!, Project = spec.Project!,
            Cidr = spec.Cidr is null ? null : IpBlock.Parse(spec.Cidr).ToString(), Phase = NetworkPhases.Pending, CreatedAt = now,
        };
        Apply(row, resource);
        return row;
    }

    public void Apply(VpcRow row, Vpc resource) => row.Labels = Envelope.LabelsToJson(resource.Metadata!.Labels);

    public async Task WritingAsync(DflareDbContext db, VpcRow row, Vpc resource, TenantRow scope, bool creating, CancellationToken cancellationToken)
    {
        if (!creating)
        {
            return;
        }
        var spec = resource.Spec!;
        var now = time.GetUtcNow();
        var fabric = await db.Fabrics.AsNoTracking().FirstAsync(f => f.Name == spec.Fabric, cancellationToken);
        await PoolAllocator.LockFabricAsync(db, fabric.Id, cancellationToken);
        row.FabricId = fabric.Id;
        row.VrfId = (int)await PoolAllocator.TakeAsync(db, fabric.Id, PoolKinds.Vrf, 0, row.Id, "", now, cancellationToken);
        row.L3Vni = (int)await PoolAllocator.TakeAsync(db, fabric.Id, PoolKinds.L3Vni, 0, row.Id, "", now, cancellationToken);
        if (spec.Infiniband is not null)
        {
            var infiniband = await db.Fabrics.AsNoTracking().FirstAsync(f => f.Name == spec.Infiniband, cancellationToken);
            row.InfinibandFabricId = infiniband.Id;
            await Partitions.EnsureAsync(db, scope.Id, infiniband.Id, now, cancellationToken);
        }
        NetworkSync.Stage(workflows(), db, fabric.Name, $"vpc {scope.Name}/{row.Name} created");
        if (spec.Infiniband is not null)
        {
            NetworkSync.Stage(workflows(), db, spec.Infiniband, $"vpc {scope.Name}/{row.Name} created");
        }
    }

    public async Task RemovingAsync(DflareDbContext db, VpcRow row, TenantRow scope, bool force, CancellationToken cancellationToken)
    {
        await PoolAllocator.LockFabricAsync(db, row.FabricId, cancellationToken);
        await PoolAllocator.ReleaseAsync(db, row.Id, cancellationToken);
        var fabric = await db.Fabrics.AsNoTracking().FirstAsync(f => f.Id == row.FabricId, cancellationToken);
        NetworkSync.Stage(workflows(), db, fabric.Name, $"vpc {scope.Name}/{row.Name} deleted");
        if (row.InfinibandFabricId is { } infinibandId)
        {
            // The partition goes with the tenant's last VPC on that InfiniBand fabric.
            if (!await db.Vpcs.AnyAsync(v => v.TenantId == scope.Id && v.InfinibandFabricId == infinibandId && v.Id != row.Id, cancellationToken))
            {
                await Partitions.RemoveAsync(db, scope.Id, infinibandId, cancellationToken);
            }
            var infiniband = await db.Fabrics.AsNoTracking().FirstAsync(f => f.Id == infinibandId, cancellationToken);
            NetworkSync.Stage(workflows(), db, infiniband.Name, $"vpc {scope.Name}/{row.Name} deleted");
        }
    }

    public async Task<IReadOnlyList<Vpc>> ReadAsync(DflareDbContext db, IReadOnlyList<VpcRow> rows, TenantRow scope, CancellationToken cancellationToken)
    {
        var fabrics = await db.Fabrics.AsNoTracking().ToDictionaryAsync(f => f.Id, f => f.Name, cancellationToken);
        var partitions = await db.Partitions.AsNoTracking().Where(p => p.TenantId == scope.Id).ToDictionaryAsync(p => p.FabricId, p => p.PKey, cancellationToken);
        return [.. rows.Select(r => ToResource(r, scope, fabrics, partitions))];
    }

    public Vpc ToResource(VpcRow row, TenantRow scope) => ToResource(row, scope, [], []);

    private Vpc ToResource(VpcRow row, TenantRow scope, Dictionary<Guid, string> fabrics, Dictionary<Guid, int> partitions) => new()
    {
        ApiVersion = ApiVersions.V1,
        Kind = Kind,
        Metadata = Envelope.MetadataOf(row, scope.Name),
        Spec = new VpcSpec
        {
            Project = row.Project, Fabric = fabrics.GetValueOrDefault(row.FabricId), Cidr = row.Cidr,
            Infiniband = row.InfinibandFabricId is { } ib ? fabrics.GetValueOrDefault(ib) : null,
        },
        Status = new VpcStatus(row.Phase, row.Reason, row.VrfId, row.L3Vni, NetworkIntents.RouteTarget(row),
            row.InfinibandFabricId is { } id && partitions.TryGetValue(id, out var pkey) ? InfinibandRenderer.Hex(pkey) : null),
    };
}

/// <summary>Checks shared by the tenant's network kinds.</summary>
public static class NetworkValidation
{
    public static void TenantMatches(Validation validation, ObjectMeta? metadata, TenantRow scope)
    {
        if (metadata?.Tenant is { } tenant && tenant != scope.Name)
        {
            validation.Add("metadata.tenant", FieldErrorCodes.Mismatch, $"metadata.tenant '{tenant}' differs from the tenant in the path, '{scope.Name}'.");
        }
    }
}
