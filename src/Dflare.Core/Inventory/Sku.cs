using Dflare.Core.Resources;
using Dflare.Core.Tenancy;
using Dflare.Persistence.Inventory;
using Dflare.Persistence.Store;

namespace Dflare.Core.Inventory;

/// <summary>A node model (e.g. <c>hgx-h100-8</c>): what inspection checks a node against and placement counts.</summary>
public sealed record Sku : IResource
{
    public const string KindName = "Sku";

    public string? ApiVersion { get; init; }

    public string? Kind { get; init; }

    public ObjectMeta? Metadata { get; init; }

    public SkuSpec? Spec { get; init; }
}

public sealed record SkuSpec
{
    /// <summary>E.g. <c>H100-SXM5-80GB</c>. Required.</summary>
    public string? GpuModel { get; init; }

    /// <summary>GPUs per node, 0 to 16. Required.</summary>
    public int? Gpus { get; init; }

    public bool MigCapable { get; init; }

    /// <summary>CPU cores per node, 1 to 1024. Required.</summary>
    public int? Cpus { get; init; }

    /// <summary>Memory per node in GiB, 1 to 65536. Required.</summary>
    public int? MemoryGiB { get; init; }

    /// <summary>Ethernet NICs, 0 to 16.</summary>
    public int Nics { get; init; }

    /// <summary>InfiniBand HCAs, 0 to 16.</summary>
    public int Hcas { get; init; }
}

public sealed class SkuKind : IResourceKind<Sku, SkuRow, PlatformScope>
{
    public string Kind => Sku.KindName;

    public string DependentsExplanation => "nodes of this model are still enrolled";

    public IReadOnlyList<string> ReferenceFields => [];

    public IQueryable<SkuRow> Query(DflareDbContext db, PlatformScope scope) => db.Skus;

    public void Validate(Validation validation, Sku resource, PlatformScope scope, bool creating)
    {
        Envelope.Validate(validation, resource, Kind);
        if (!validation.Required("spec", resource.Spec))
        {
            return;
        }
        var spec = resource.Spec!;
        if (validation.Required("spec.gpuModel", spec.GpuModel))
        {
            validation.Text("spec.gpuModel", spec.GpuModel, 64);
        }
        Range(validation, "spec.gpus", spec.Gpus, 0, 16, required: true);
        Range(validation, "spec.cpus", spec.Cpus, 1, 1024, required: true);
        Range(validation, "spec.memoryGiB", spec.MemoryGiB, 1, 65536, required: true);
        Range(validation, "spec.nics", spec.Nics, 0, 16, required: false);
        Range(validation, "spec.hcas", spec.Hcas, 0, 16, required: false);
        if (spec.MigCapable && spec.Gpus == 0)
        {
            validation.Add("spec.migCapable", FieldErrorCodes.InvalidValue, "spec.migCapable needs GPUs; spec.gpus is 0.");
        }
    }

    public SkuRow NewRow(Sku resource, PlatformScope scope, DateTimeOffset now)
    {
        var row = new SkuRow { Id = Guid.CreateVersion7(now), Name = resource.Metadata!.Name!, GpuModel = "", CreatedAt = now };
        Apply(row, resource);
        return row;
    }

    public void Apply(SkuRow row, Sku resource)
    {
        var spec = resource.Spec!;
        row.Labels = Envelope.LabelsToJson(resource.Metadata!.Labels);
        row.GpuModel = spec.GpuModel!;
        row.GpuCount = spec.Gpus!.Value;
        row.MigCapable = spec.MigCapable;
        row.Cpus = spec.Cpus!.Value;
        row.MemoryGiB = spec.MemoryGiB!.Value;
        row.Nics = spec.Nics;
        row.Hcas = spec.Hcas;
    }

    public Sku ToResource(SkuRow row, PlatformScope scope) => new()
    {
        ApiVersion = ApiVersions.V1,
        Kind = Kind,
        Metadata = Envelope.MetadataOf(row),
        Spec = new SkuSpec
        {
            GpuModel = row.GpuModel, Gpus = row.GpuCount, MigCapable = row.MigCapable, Cpus = row.Cpus,
            MemoryGiB = row.MemoryGiB, Nics = row.Nics, Hcas = row.Hcas,
        },
    };

    private static void Range(Validation validation, string field, int? value, int min, int max, bool required)
    {
        if (value is null)
        {
            if (required)
            {
                validation.Add(field, FieldErrorCodes.Required, $"{field} is required.");
            }
            return;
        }
        if (value < min || value > max)
        {
            validation.Add(field, FieldErrorCodes.OutOfRange, $"{field} must be from {min} to {max}; it is {value}.");
        }
    }
}
