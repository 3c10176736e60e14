using Dflare.Core.Resources;

namespace Dflare.Core.Tenancy;

/// <summary>A tenant's unit of ownership: clusters, volumes and networks belong to a project, and usage is billed to it.</summary>
public sealed record Project : IResource
{
    public const string KindName = "Project";

    public string? ApiVersion { get; init; }

    public string? Kind { get; init; }

    public ObjectMeta? Metadata { get; init; }

    public ProjectSpec? Spec { get; init; }

    /// <summary>Observed state; ignored on writes.</summary>
    public ProjectStatus? Status { get; init; }
}

public sealed record ProjectSpec
{
    /// <summary>Human-readable name, at most 128 characters.</summary>
    public string? DisplayName { get; init; }

    /// <summary>At most 1024 characters.</summary>
    public string? Description { get; init; }
}

public sealed record ProjectStatus
{
    /// <summary><c>Active</c>.</summary>
    public required string Phase { get; init; }
}
