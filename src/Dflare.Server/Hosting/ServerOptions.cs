namespace Dflare.Server.Hosting;

/// <summary>How the server listens. Bound from the <c>Server</c> section.</summary>
public sealed class ServerOptions
{
    public const string SectionName = "Server";

    /// <summary>Addresses to listen on, separated by ';'. Port 0 picks a free port. Default: <c>http://127.0.0.1:5080</c>.</summary>
    public string Urls { get; set; } = "http://127.0.0.1:5080";

    /// <summary>Largest request body accepted, in bytes; more answers 413. Default: 1 MiB.</summary>
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Seconds in-flight requests get to finish on shutdown. Default: 30.</summary>
    public int ShutdownTimeoutSeconds { get; set; } = 30;
}

/// <summary>First-start settings. Bound from the <c>Bootstrap</c> section.</summary>
public sealed class BootstrapOptions
{
    public const string SectionName = "Bootstrap";

    /// <summary>
    /// An administrator credential to accept (at least 32 characters), for automated installs that must know it in
    /// advance. Default: none; on first start the server then generates one and prints it once.
    /// </summary>
    public string? AdminCredential { get; set; }
}
