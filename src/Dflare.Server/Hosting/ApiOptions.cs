namespace Dflare.Server.Hosting;

/// <summary>API conventions an operator may tune. Bound from the <c>Api</c> section.</summary>
public sealed class ApiOptions
{
    public const string SectionName = "Api";

    /// <summary>Items in a list page when the client does not say. Default: 100.</summary>
    public int DefaultPageSize { get; set; } = 100;

    /// <summary>The largest page a client may ask for; more answers 400 page-size-too-large. Default: 500.</summary>
    public int MaxPageSize { get; set; } = 500;

    /// <summary>How long a create's Idempotency-Key is remembered. Default: 24 hours.</summary>
    public int IdempotencyKeyRetentionHours { get; set; } = 24;

    /// <summary>Requests one tenant (all its callers together; operators count as the platform) may make per minute; more answer 429 with Retry-After. 0 turns the limit off. Default: 6,000.</summary>
    public int TenantRequestsPerMinute { get; set; } = 6000;

    /// <summary>Requests one credential (an access token, a service account's, the bootstrap credential) may make per minute. 0 turns the limit off. Default: 1,200.</summary>
    public int TokenRequestsPerMinute { get; set; } = 1200;
}
