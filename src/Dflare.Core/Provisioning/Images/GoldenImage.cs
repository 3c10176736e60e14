using System.Text.RegularExpressions;
using Dflare.Core.Resources;
using Dflare.Core.Tenancy;
using Dflare.Persistence.Provisioning;
using Dflare.Persistence.Store;

namespace Dflare.Core.Provisioning.Images;

/// <summary>A golden image in the catalog: the OS a node is provisioned with, down to GPU driver and CUDA versions.</summary>
public sealed record GoldenImage : IResource
{
    public const string KindName = "Image";

    public string? ApiVersion { get; init; }

    public string? Kind { get; init; }

    public ObjectMeta? Metadata { get; init; }

    public GoldenImageSpec? Spec { get; init; }
}

public sealed record GoldenImageSpec
{
    /// <summary>E.g. <c>ubuntu-24.04</c>. Required.</summary>
    public string? Os { get; init; }

    /// <summary>E.g. <c>6.8.0-45-generic</c>. Required.</summary>
    public string? Kernel { get; init; }

    /// <summary>The NVIDIA driver, e.g. <c>570.86.15</c>. Required.</summary>
    public string? GpuDriver { get; init; }

    /// <summary>E.g. <c>12.8</c>. Required.</summary>
    public string? Cuda { get; init; }

    /// <summary>Where the deploy stage downloads it (http, https, or <c>sim://</c> in the simulated datacenter). Required.</summary>
    public string? Url { get; init; }

    /// <summary>SHA-256 of the image, 64 hex digits; the node refuses an image that does not match. Required.</summary>
    public string? Sha256 { get; init; }
}

public sealed partial class GoldenImageKind : IResourceKind<GoldenImage, ImageRow, PlatformScope>
{
    public string Kind => GoldenImage.KindName;

    public string DependentsExplanation => "nodes are still assigned this image";

    public IReadOnlyList<string> ReferenceFields => [];

    public IQueryable<ImageRow> Query(DflareDbContext db, PlatformScope scope) => db.Images;

    public void Validate(Validation validation, GoldenImage resource, PlatformScope scope, bool creating)
    {
        Envelope.Validate(validation, resource, Kind);
        if (!validation.Required("spec", resource.Spec))
        {
            return;
        }
        var spec = resource.Spec!;
        Version(validation, "spec.os", spec.Os);
        Version(validation, "spec.kernel", spec.Kernel);
        Version(validation, "spec.gpuDriver", spec.GpuDriver);
        Version(validation, "spec.cuda", spec.Cuda, 32);
        if (validation.Required("spec.url", spec.Url)
            && (!Uri.TryCreate(spec.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https" or "sim") || spec.Url!.Length > 1024))
        {
            validation.Add("spec.url", FieldErrorCodes.InvalidFormat, $"spec.url '{spec.Url}' must be an http(s) address (or sim:// in the simulated datacenter), at most 1024 characters.");
        }
        if (validation.Required("spec.sha256", spec.Sha256) && !Sha256Pattern().IsMatch(spec.Sha256!))
        {
            validation.Add("spec.sha256", FieldErrorCodes.InvalidFormat, "spec.sha256 must be 64 lower-case hex digits.");
        }
    }

    private static void Version(Validation validation, string field, string? value, int maxLength = 64)
    {
        if (validation.Required(field, value) && (value!.Length > maxLength || !VersionPattern().IsMatch(value)))
        {
            validation.Add(field, FieldErrorCodes.InvalidFormat, $"{field} '{value}' must be at most {maxLength} letters, digits, '.', '-', '_' or '+'.");
        }
    }

    public ImageRow NewRow(GoldenImage resource, PlatformScope scope, DateTimeOffset now)
    {
        var row = new ImageRow { Id = Guid.CreateVersion7(now), Name = resource.Metadata!.Name!, Os = "", Kernel = "", GpuDriver = "", Cuda = "", Url = "", Sha256 = "", CreatedAt = now };
        Apply(row, resource);
        return row;
    }

    public void Apply(ImageRow row, GoldenImage resource)
    {
        var spec = resource.Spec!;
        row.Labels = Envelope.LabelsToJson(resource.Metadata!.Labels);
        row.Os = spec.Os!;
        row.Kernel = spec.Kernel!;
        row.GpuDriver = spec.GpuDriver!;
        row.Cuda = spec.Cuda!;
        row.Url = spec.Url!;
        row.Sha256 = spec.Sha256!;
    }

    public GoldenImage ToResource(ImageRow row, PlatformScope scope) => new()
    {
        ApiVersion = ApiVersions.V1,
        Kind = Kind,
        Metadata = Envelope.MetadataOf(row),
        Spec = new GoldenImageSpec { Os = row.Os, Kernel = row.Kernel, GpuDriver = row.GpuDriver, Cuda = row.Cuda, Url = row.Url, Sha256 = row.Sha256 },
    };

    [GeneratedRegex("^[a-f0-9]{64}$")]
    private static partial Regex Sha256Pattern();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._+-]*$")]
    private static partial Regex VersionPattern();
}
