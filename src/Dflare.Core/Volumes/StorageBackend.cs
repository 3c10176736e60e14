using Dflare.Core.Resources;
using Dflare.Persistence.Store;
using Dflare.Persistence.Volumes;
using Dflare.Core.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Dflare.Core.Volumes;

/// <summary>A storage backend as the API shows it.</summary>
public sealed record StorageBackend : IResource
{
    public const string KindName = "StorageBackend";

    public string? ApiVersion { get; init; }

    public string? Kind { get; init; }

    public ObjectMeta? Metadata { get; init; }

    public StorageBackendSpec? Spec { get; init; }
}

public sealed record StorageBackendSpec
{
    /// <summary><c>HighPerformance</c> or <c>Platform</c>.</summary>
    public string? Tier { get; init; }

    /// <summary><c>Simulated</c> or <c>Posix</c> (the Lustre and NFS hand-offs are rendered by the library, not served yet).</summary>
    public string? Driver { get; init; }

    /// <summary>The directory volumes live under (Posix), an absolute path.</summary>
    public string? Path { get; init; }

    public long? CapacityBytes { get; init; }

    /// <summary>The size of a volume that does not say. Default: 100 GiB, or the capacity if smaller.</summary>
    public long? DefaultVolumeBytes { get; init; }

    /// <summary>The most one tenant's volumes here may add up to. Default: the capacity.</summary>
    public long? MaxBytesPerTenant { get; init; }
}

public sealed class StorageBackendKind : IResourceKind<StorageBackend, StorageBackendRow, PlatformScope>
{
    public static readonly IReadOnlyList<string> Tiers = ["HighPerformance", "Platform"];
    public static readonly IReadOnlyList<string> Drivers = ["Simulated", "Posix"];

    public string Kind => StorageBackend.KindName;

    public string DependentsExplanation => "volumes still live on it; delete them first";

    public IReadOnlyList<string> ReferenceFields => [];

    public IQueryable<StorageBackendRow> Query(DflareDbContext db, PlatformScope scope) => db.StorageBackends;

    public void Validate(Validation validation, StorageBackend resource, PlatformScope scope, bool creating)
    {
        Envelope.Validate(validation, resource, Kind);
        if (!validation.Required("spec", resource.Spec))
        {
            return;
        }
        var spec = resource.Spec!;
        if (validation.Required("spec.tier", spec.Tier) && !Tiers.Contains(spec.Tier))
        {
            validation.Add("spec.tier", FieldErrorCodes.InvalidValue, $"spec.tier must be one of {string.Join(", ", Tiers)}.");
        }
        if (validation.Required("spec.driver", spec.Driver) && !Drivers.Contains(spec.Driver))
        {
            validation.Add("spec.driver", FieldErrorCodes.InvalidValue, $"spec.driver must be one of {string.Join(", ", Drivers)} (Lustre and NFS hand-offs are not served yet).");
        }
        if (spec.Driver == "Posix" && validation.Required("spec.path", spec.Path) && !System.IO.Path.IsPathFullyQualified(spec.Path!))
        {
            validation.Add("spec.path", FieldErrorCodes.InvalidFormat, "spec.path must be an absolute directory path.");
        }
        validation.Text("spec.path", spec.Path, 1024);
        if (validation.Required("spec.capacityBytes", spec.CapacityBytes) && spec.CapacityBytes <= 0)
        {
            validation.Add("spec.capacityBytes", FieldErrorCodes.OutOfRange, "spec.capacityBytes must be positive.");
        }
        foreach (var (field, value) in new[] { ("spec.defaultVolumeBytes", spec.DefaultVolumeBytes), ("spec.maxBytesPerTenant", spec.MaxBytesPerTenant) })
        {
            if (value is { } v && (v <= 0 || v > spec.CapacityBytes))
            {
                validation.Add(field, FieldErrorCodes.OutOfRange, $"{field} must be positive and at most spec.capacityBytes.");
            }
        }
    }

    public async Task CheckAsync(Validation validation, DflareDbContext db, StorageBackend resource, PlatformScope scope, StorageBackendRow? existing, CancellationToken cancellationToken)
    {
        // Volumes are found by driver and path: moving them under live volumes would strand their data.
        if (existing is not null && (existing.Driver != resource.Spec!.Driver || existing.Path != (resource.Spec.Path ?? ""))
            && await db.Volumes.AnyAsync(v => v.Backend == existing.Name, cancellationToken))
        {
            validation.Add(existing.Driver != resource.Spec.Driver ? "spec.driver" : "spec.path", FieldErrorCodes.Mismatch,
                "spec.driver and spec.path cannot change while volumes live on the backend.");
        }
    }

    public StorageBackendRow NewRow(StorageBackend resource, PlatformScope scope, DateTimeOffset now)
    {
        var row = new StorageBackendRow { Id = Guid.CreateVersion7(now), Name = resource.Metadata!.Name!, Tier = "", Driver = "", Path = "", CreatedAt = now };
        Apply(row, resource);
        return row;
    }

    public void Apply(StorageBackendRow row, StorageBackend resource)
    {
        var spec = resource.Spec!;
        row.Labels = Envelope.LabelsToJson(resource.Metadata!.Labels);
        row.Tier = spec.Tier!;
        row.Driver = spec.Driver!;
        row.Path = spec.Path ?? "";
        row.CapacityBytes = spec.CapacityBytes!.Value;
        row.DefaultVolumeBytes = spec.DefaultVolumeBytes ?? Math.Min(100L << 30, row.CapacityBytes);
        row.MaxBytesPerTenant = spec.MaxBytesPerTenant ?? row.CapacityBytes;
    }

    public StorageBackend ToResource(StorageBackendRow row, PlatformScope scope) => new()
    {
        ApiVersion = ApiVersions.V1,
        Kind = Kind,
        Metadata = Envelope.MetadataOf(row, null),
        Spec = new StorageBackendSpec
        {
            Tier = row.Tier, Driver = row.Driver, Path = row.Path.Length == 0 ? null : row.Path, CapacityBytes = row.CapacityBytes,
            DefaultVolumeBytes = row.DefaultVolumeBytes, MaxBytesPerTenant = row.MaxBytesPerTenant,
        },
    };
}
