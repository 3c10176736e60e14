namespace Dflare.Cli.Config;

/// <summary>A named place to work, like a kubeconfig context: which server, which realm signs in, which tenant
/// tenant-owned objects belong to by default.</summary>
public sealed record CliContext(string Server, string Realm, string? Tenant);

/// <summary>What <c>~/.dflare/config.json</c> holds: every context and the current one. Tokens live apart, one file
/// per context readable by its owner only.</summary>
public sealed record CliConfigFile(string? CurrentContext, Dictionary<string, CliContext> Contexts)
{
    public static CliConfigFile Empty => new(null, new Dictionary<string, CliContext>(StringComparer.Ordinal));
}

/// <summary>A context's credential: a person's tokens from a sign-in, a service account's client credentials, or a
/// static token (the bootstrap credential).</summary>
public sealed record StoredCredential(
    string? AccessToken = null, string? RefreshToken = null, DateTimeOffset? ExpiresAt = null, string? ClientId = null, string? ClientSecret = null, string? Token = null);
