namespace Dflare.Core.Resources;

/// <summary>Kubernetes-shaped object metadata. On writes only <c>name</c> and <c>labels</c> are taken;
/// <c>uid</c> and <c>resourceVersion</c>, when sent, are preconditions; the rest is read-only and ignored.</summary>
public sealed record ObjectMeta
{
    public string? Name { get; init; }

    /// <summary>The owning tenant, for tenant-owned objects. Read-only: the path names it.</summary>
    public string? Tenant { get; init; }

    public string? Uid { get; init; }

    public IReadOnlyDictionary<string, string>? Labels { get; init; }

    public DateTimeOffset? CreationTimestamp { get; init; }

    /// <summary>Opaque version; changes on every write. Sent back on update, it must match (else 412).</summary>
    public string? ResourceVersion { get; init; }
}

/// <summary>What every API resource has: a type, metadata, a desired state and an observed state.</summary>
public interface IResource
{
    string? ApiVersion { get; }

    string? Kind { get; }

    ObjectMeta? Metadata { get; }
}

public static class ApiVersions
{
    /// <summary>The API group and version of every resource in this release.</summary>
    public const string V1 = "dflare.ai/v1";
}
