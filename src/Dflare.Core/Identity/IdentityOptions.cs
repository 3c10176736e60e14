namespace Dflare.Core.Identity;

/// <summary>Realms, tokens and sign-in. Bound from the <c>Identity</c> section.</summary>
public sealed class IdentityOptions
{
    public const string SectionName = "Identity";

    /// <summary>The audience every access token is bound to.</summary>
    public const string ApiAudience = "dflare-api";

    /// <summary>Issuers are <c>{PublicUrl}/realms/{realm}</c>. Default: the API listener's first address.</summary>
    public string? PublicUrl { get; set; }

    /// <summary>How long an access token lives. Default 10, at most 60.</summary>
    public int AccessTokenMinutes { get; set; } = 10;

    /// <summary>How long a refresh token lives unused. Default: 14 days.</summary>
    public int RefreshTokenDays { get; set; } = 14;

    /// <summary>How long a device code waits for its user. Default: 10 minutes.</summary>
    public int DeviceCodeMinutes { get; set; } = 10;

    /// <summary>The least time between a terminal's polls of the token endpoint (RFC 8628 <c>interval</c>). Default: 5 s.</summary>
    public int DevicePollSeconds { get; set; } = 5;

    /// <summary>A realm's signing key is replaced once it is this old; the old key stays published until its tokens expire. Default: 30 days.</summary>
    public int KeyRotationDays { get; set; } = 30;

    /// <summary>Tolerated clock difference when checking a token's times. Default 30 s, at most 30.</summary>
    public int ClockSkewSeconds { get; set; } = 30;

    /// <summary>Argon2id memory per password hash, KiB. Default 19,456 (OWASP's minimum recommendation).</summary>
    public int PasswordMemoryKiB { get; set; } = 19456;

    /// <summary>Argon2id passes. Default 2.</summary>
    public int PasswordIterations { get; set; } = 2;

    /// <summary>Whether a realm may trust an external provider at a plain-http issuer (a lab or a test; never production). Default: false.</summary>
    public bool AllowHttpFederation { get; set; }

    /// <summary>A checkpoint is also signed this often when entries were added since the last one. Default: 5 minutes.</summary>
    public int AuditCheckpointMinutes { get; set; } = 5;

    /// <summary>An audit checkpoint is signed after this many new entries. Default 1,000.</summary>
    public int AuditCheckpointEvery { get; set; } = 1000;
}
