using System.Text.Json;
using System.Text.Json.Nodes;
using Dflare.Core.Resources;
using Dflare.Core.Workflows;
using Dflare.Persistence.Store;
using Dflare.Persistence.Tenancy;
using Dflare.Persistence.Volumes;
using Microsoft.EntityFrameworkCore;

namespace Dflare.Core.Volumes;

/// <summary>
/// Volumes live inside a tenant and belong to one of its projects. A create or a change of quota or ACL starts the
/// <c>provision-volume</c> workflow in the same transaction; a delete starts <c>delete-volume</c>, which keeps the data
/// for the retention grace period before the backend removes it.
/// </summary>
/// <param name="workflows">Resolved on first use: endpoints are mapped before the configuration is checked.</param>
/// <param name="settings">Resolved on first use, likewise.</param>
/// <param name="time">The clock of the grace period.</param>
public sealed class VolumeKind(Func<WorkflowClient> workflows, Func<VolumeSettings> settings, TimeProvider time) : IResourceKind<Volume, VolumeRow, TenantRow>
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };
    public static readonly IReadOnlyList<string> AccessModes = ["ReadWriteMany", "ReadOnlyMany"];
    private const int MaxAclEntries = 64;

    public string Kind => Volume.KindName;

    public string DependentsExplanation => "other objects still use it";

    public IReadOnlyList<string> ReferenceFields => ["spec.project", "spec.backend"];

    public IQueryable<VolumeRow> Query(DflareDbContext db, TenantRow scope) => db.Volumes.Where(v => v.TenantId == scope.Id);

    public void Validate(Validation validation, Volume resource, TenantRow scope, bool creating)
    {
        Envelope.Validate(validation, resource, Kind);
        if (resource.Metadata?.Tenant is { } tenant && tenant != scope.Name)
        {
            validation.Add("metadata.tenant", FieldErrorCodes.Mismatch, $"metadata.tenant '{tenant}' differs from the tenant in the path, '{scope.Name}'.");
        }
        if (!validation.Required("spec", resource.Spec))
        {
            return;
        }
        var spec = resource.Spec!;
        Names.Validate(validation, "spec.project", spec.Project);
        Names.Validate(validation, "spec.backend", spec.Backend);
        if (spec.SizeBytes is <= 0)
        {
            validation.Add("spec.sizeBytes", FieldErrorCodes.OutOfRange, "spec.sizeBytes must be positive.");
        }
        if (spec.Inodes is <= 0)
        {
            validation.Add("spec.inodes", FieldErrorCodes.OutOfRange, "spec.inodes must be positive.");
        }
        if (spec.AccessMode is { } mode && !AccessModes.Contains(mode))
        {
            validation.Add("spec.accessMode", FieldErrorCodes.InvalidValue, $"spec.accessMode must be one of {string.Join(", ", AccessModes)}.");
        }
        if (spec.MountPath is { } path && (!path.StartsWith('/') || path.Contains("..", StringComparison.Ordinal) || path.Length > 512 || path.Any(char.IsWhiteSpace)))
        {
            validation.Add("spec.mountPath", FieldErrorCodes.InvalidFormat, "spec.mountPath must be an absolute path without '..' or spaces.");
        }
        var acl = spec.Acl ?? [];
        if (acl.Count > MaxAclEntries)
        {
            validation.Add("spec.acl", FieldErrorCodes.TooMany, $"spec.acl holds at most {MaxAclEntries} entries.");
        }
        for (var i = 0; i < acl.Count; i++)
        {
            if (acl[i] is null)
            {
                validation.Add($"spec.acl[{i}]", FieldErrorCodes.Required, $"spec.acl[{i}] is empty.");
            }
            // Ids below 1000 are the system's, and nobody (65534) is what NFS maps root to; root never needs a grant.
            else if (acl[i].Id is < 1000 or > 2_000_000_000 or 65534)
            {
                validation.Add($"spec.acl[{i}].id", FieldErrorCodes.OutOfRange, $"spec.acl[{i}].id must be a POSIX id from 1000 to 2000000000, not 65534 (nobody).");
            }
        }
        var duplicate = acl.Where(e => e is not null).GroupBy(e => (e.Principal, e.Id)).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            validation.Add("spec.acl", FieldErrorCodes.InvalidValue, $"spec.acl names {duplicate.Key.Principal} {duplicate.Key.Id} more than once.");
        }
        var names = (spec.AccessMap?.Clusters ?? []).Select((n, i) => ($"spec.accessMap.clusters[{i}]", n))
            .Concat((spec.AccessMap?.Nodes ?? []).Select((n, i) => ($"spec.accessMap.nodes[{i}]", n)));
        foreach (var (field, name) in names)
        {
            Names.Validate(validation, field, name);
        }
    }

    public async Task CheckAsync(Validation validation, DflareDbContext db, Volume resource, TenantRow scope, VolumeRow? existing, CancellationToken cancellationToken)
    {
        var spec = resource.Spec!;
        if (existing is not null)
        {
            foreach (var (field, before, after) in new[] { ("spec.project", existing.Project, spec.Project), ("spec.backend", existing.Backend, spec.Backend) })
            {
                if (before != after)
                {
                    validation.Add(field, FieldErrorCodes.Mismatch, $"{field} cannot change ('{before}'); make a new volume and copy the data.");
                }
            }
        }
        var backend = await db.StorageBackends.AsNoTracking().FirstOrDefaultAsync(b => b.Name == spec.Backend, cancellationToken);
        if (backend is null)
        {
            validation.Add("spec.backend", FieldErrorCodes.UnknownReference, $"There is no storage backend '{spec.Backend}'.");
            return;
        }
        if (!await db.Projects.AnyAsync(p => p.TenantId == scope.Id && p.Name == spec.Project, cancellationToken))
        {
            validation.Add("spec.project", FieldErrorCodes.UnknownReference, $"Tenant '{scope.Name}' has no project '{spec.Project}'.");
        }
        var size = spec.SizeBytes ?? (existing is { SizeBytes: > 0 } ? existing.SizeBytes : backend.DefaultVolumeBytes);
        // A volume not provisioned yet (size 0) will get the backend default: count that.
        var others = await db.Volumes.Where(v => v.TenantId == scope.Id && v.Backend == backend.Name && v.Id != (existing == null ? Guid.Empty : existing.Id))
            .SumAsync(v => (long?)(v.SizeBytes == 0 ? backend.DefaultVolumeBytes : v.SizeBytes), cancellationToken) ?? 0;
        if (others + size > backend.MaxBytesPerTenant)
        {
            validation.Add("spec.sizeBytes", FieldErrorCodes.OutOfRange,
                $"The tenant's volumes on '{backend.Name}' would hold {others + size} bytes; the backend allows {backend.MaxBytesPerTenant} per tenant.");
        }
        if (existing is not null && size < existing.UsedBytes)
        {
            validation.Add("spec.sizeBytes", FieldErrorCodes.OutOfRange, $"spec.sizeBytes cannot go below what is used ({existing.UsedBytes} bytes).");
        }
        if (existing is not null && spec.Inodes is { } inodes && inodes < existing.UsedInodes)
        {
            validation.Add("spec.inodes", FieldErrorCodes.OutOfRange, $"spec.inodes cannot go below what is used ({existing.UsedInodes}).");
        }
    }

    public VolumeRow NewRow(Volume resource, TenantRow scope, DateTimeOffset now)
    {
        var row = new VolumeRow
        {
            Id = Guid.CreateVersion7(now), TenantId = scope.Id, Name = resource.Metadata!.Name!, Project = "", Backend = "", AccessMode = "",
            MountPath = "", Phase = VolumePhases.Pending, CreatedAt = now,
        };
        Apply(row, resource);
        return row;
    }

    public void Apply(VolumeRow row, Volume resource)
    {
        var spec = resource.Spec!;
        row.Labels = Envelope.LabelsToJson(resource.Metadata!.Labels);
        row.Project = spec.Project!;
        row.Backend = spec.Backend!;
        // A field left out keeps its value on a replace (on a create: the default; sizes are then the backend's,
        // applied by the workflow), so a PUT that forgets the ACL never strips a volume of its grants.
        row.SizeBytes = spec.SizeBytes ?? row.SizeBytes;
        row.Inodes = spec.Inodes ?? row.Inodes;
        row.AccessMode = spec.AccessMode ?? (row.AccessMode.Length > 0 ? row.AccessMode : "ReadWriteMany");
        row.MountPath = spec.MountPath ?? (row.MountPath.Length > 0 ? row.MountPath : $"/mnt/{row.Name}");
        if (spec.Acl is not null)
        {
            row.Acl = JsonSerializer.Serialize(spec.Acl, Json);
        }
        if (spec.AccessMap is not null)
        {
            row.AccessMap = JsonSerializer.Serialize(new VolumeAccessMap(spec.AccessMap.Clusters ?? [], spec.AccessMap.Nodes ?? []), Json);
        }
    }

    public void Writing(DflareDbContext db, VolumeRow row, TenantRow scope, bool creating)
    {
        row.Phase = VolumePhases.Pending;
        workflows().Stage(db, VolumeWorkflows.Provision, Target(scope.Name, row.Name), new JsonObject { ["volume"] = row.Id.ToString(), ["creating"] = creating });
        workflows().Wake();
    }

    public async Task RemovingAsync(DflareDbContext db, VolumeRow row, TenantRow scope, bool force, CancellationToken cancellationToken)
    {
        var mountedBy = await (from m in db.ClusterMounts.AsNoTracking()
                               join c in db.Clusters.AsNoTracking() on m.ClusterId equals c.Id
                               where m.VolumeId == row.Id
                               orderby c.Name
                               select c.Name).ToListAsync(cancellationToken);
        if (mountedBy.Count > 0 && !force)
        {
            throw new ResourceConflictException("volume-in-use", "The volume is mounted.",
                $"Volume '{row.Name}' is mounted by cluster(s) {string.Join(", ", mountedBy)}; take it out of their spec.volumes first, or delete with ?force=true.");
        }
        // Forced: the mounts go with the volume (the store cascades them); the clusters' nodes lose it.
        var backend = await db.StorageBackends.AsNoTracking().FirstAsync(b => b.Name == row.Backend, cancellationToken);
        // Billing stops at the delete, not at the purge: the grace period is the platform's safety, not the tenant's use.
        await Metering.UsageEmitter.VolumeAsync(db, Metering.UsageEventTypes.VolumeDeleted, $"{row.Id:N}-deleted", row.Id, scope.Name, row.Project, backend.Tier,
            0, time.GetUtcNow(), cancellationToken);
        workflows().Stage(db, VolumeWorkflows.Delete, $"{Target(scope.Name, row.Name)}/{row.Id:N}", new JsonObject
        {
            ["spec"] = JsonSerializer.SerializeToNode(SpecOf(row, scope.Name), Json),
            ["backend"] = row.Backend,
            ["driver"] = backend.Driver,
            ["path"] = backend.Path,
            ["purgeAt"] = (time.GetUtcNow() + settings().DeletionGrace).ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        });
        workflows().Wake();
    }

    public Volume ToResource(VolumeRow row, TenantRow scope) => new()
    {
        ApiVersion = ApiVersions.V1,
        Kind = Kind,
        Metadata = Envelope.MetadataOf(row, scope.Name),
        Spec = new VolumeSpecification
        {
            Project = row.Project, Backend = row.Backend, SizeBytes = row.SizeBytes, Inodes = row.Inodes, AccessMode = row.AccessMode,
            MountPath = row.MountPath, Acl = JsonSerializer.Deserialize<VolumeAclEntry[]>(row.Acl, Json),
            AccessMap = JsonSerializer.Deserialize<VolumeAccessMap>(row.AccessMap, Json),
        },
        Status = new VolumeStatus
        {
            Phase = row.Phase, Reason = row.Reason, Location = row.Location, UsedBytes = row.UsedBytes, UsedInodes = row.UsedInodes,
            WritesStopped = row.WritesStopped, UsageAt = row.UsageAt,
        },
    };

    public static string Target(string tenant, string name) => $"volume/{tenant}/{name}";

    /// <summary>What the driver is told of a stored volume.</summary>
    public static VolumeSpec SpecOf(VolumeRow row, string tenant) => new(
        tenant, row.Project, row.Name, row.Id, row.SizeBytes, row.Inodes, JsonSerializer.Deserialize<VolumeAclEntry[]>(row.Acl, Json) ?? []);

    /// <summary>How volume specs and ACLs are written in the store and in workflow inputs (enums by name).</summary>
    public static JsonSerializerOptions JsonOptions => Json;
}

public static class VolumePhases
{
    public const string Pending = "Pending";
    public const string Ready = "Ready";
    public const string Failed = "Failed";
}

/// <summary>How volumes behave. Bound from the <c>Volumes</c> section.</summary>
public sealed class VolumeSettings
{
    /// <summary>How long a deleted volume's data is kept before the backend removes it. Default: 24 hours.</summary>
    public TimeSpan DeletionGrace { get; init; } = TimeSpan.FromHours(24);

    /// <summary>How often every volume's usage is scanned and its quota enforced. Default: 5 minutes.</summary>
    public TimeSpan ScanInterval { get; init; } = TimeSpan.FromMinutes(5);
}
