using Dflare.Core.Resources;

namespace Dflare.Core.Tenancy;

/// <summary>An organisation on the platform. Created by operators; owns projects and everything in them.</summary>
public sealed record Tenant : IResource
{
    public const string KindName = "Tenant";

    public string? ApiVersion { get; init; }

    public string? Kind { get; init; }

    public ObjectMeta? Metadata { get; init; }

    public TenantSpec? Spec { get; init; }

    /// <summary>Observed state; ignored on writes.</summary>
    public TenantStatus? Status { get; init; }
}

public sealed record TenantSpec
{
    /// <summary>Human-readable name, at most 128 characters.</summary>
    public string? DisplayName { get; init; }

    /// <summary>At most 1024 characters.</summary>
    public string? Description { get; init; }

    /// <summary>Where the operator reaches the tenant about incidents and invoices.</summary>
    public string? ContactEmail { get; init; }
}

public sealed record TenantStatus
{
    /// <summary><c>Active</c>. Suspension and offboarding phases come with metering and identity.</summary>
    public required string Phase { get; init; }
}
