using System.Text.Json;

namespace Dflare.Core.Resources;

/// <summary>Rules every resource shares: its type fields, its metadata, and how labels are stored.</summary>
public static class Envelope
{
    public static void Validate(Validation validation, IResource resource, string expectedKind, IReadOnlySet<string>? reservedNames = null)
    {
        if (resource.ApiVersion is not null && resource.ApiVersion != ApiVersions.V1)
        {
            validation.Add("apiVersion", FieldErrorCodes.InvalidValue, $"apiVersion must be '{ApiVersions.V1}'.");
        }
        if (resource.Kind is not null && resource.Kind != expectedKind)
        {
            validation.Add("kind", FieldErrorCodes.Mismatch, $"kind must be '{expectedKind}' at this path; it is '{resource.Kind}'.");
        }
        if (!validation.Required("metadata", resource.Metadata))
        {
            return;
        }
        Names.Validate(validation, "metadata.name", resource.Metadata!.Name, reservedNames);
        Labels.Validate(validation, "metadata.labels", resource.Metadata.Labels);
    }

    public static string LabelsToJson(IReadOnlyDictionary<string, string>? labels) =>
        JsonSerializer.Serialize(labels is null
            ? new SortedDictionary<string, string>(StringComparer.Ordinal)
            : new SortedDictionary<string, string>(labels.ToDictionary(), StringComparer.Ordinal));

    public static IReadOnlyDictionary<string, string> LabelsFromJson(string json) =>
        JsonSerializer.Deserialize<Dictionary<string, string>>(json) ?? [];

    /// <summary>An instant as stored: whole microseconds, the precision of PostgreSQL, so what a create answers equals
    /// what a later read returns on either provider.</summary>
    public static DateTimeOffset Timestamp(DateTimeOffset instant) =>
        new(instant.UtcTicks - (instant.UtcTicks % 10), TimeSpan.Zero);

    /// <summary>The metadata of a stored object, as every kind shows it.</summary>
    public static ObjectMeta MetadataOf(Dflare.Persistence.Store.IVersionedRow row, string? tenant = null) => new()
    {
        Name = row.Name,
        Tenant = tenant,
        Uid = row.Id.ToString(),
        Labels = LabelsFromJson(row.Labels),
        CreationTimestamp = row.CreatedAt,
        ResourceVersion = Version(row.ResourceVersion),
    };

    /// <summary>The resource version as clients see it: an opaque string.</summary>
    public static string Version(long resourceVersion) => resourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
