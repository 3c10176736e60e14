using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Dflare.Agent.Gpus;
using Dflare.Agent.Protocol;

namespace Dflare.Agent;

/// <summary>
/// The node agent. First start: a fresh P-256 key, a CSR sent with the one-time bootstrap token, a client certificate
/// back. From then on only mTLS: register the node's inventory, heartbeat with health, and renew the certificate
/// once two thirds of its life has passed. It trusts only the CA it was given for the control plane.
/// </summary>
public sealed class NodeAgent(AgentConfig config, IGpuSource gpus, HostFacts host, TimeProvider time, Action<string>? log = null)
{
    public const string Version = "0.1.0";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly X509Certificate2 _ca = X509Certificate2.CreateFromPem(config.CaCertificate);

    /// <summary>Registered with the control plane at least once.</summary>
    public bool Registered { get; private set; }

    public int Heartbeats { get; private set; }

    /// <summary>The certificate in use, once bootstrapped.</summary>
    public X509Certificate2? Certificate { get; private set; }

    /// <summary>Runs until cancelled, or until the control plane refuses this agent (<see cref="AgentRefusedException"/>).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var (key, certificate) = LoadState() ?? await RetryAsync(() => BootstrapAsync(cancellationToken), cancellationToken);
        Certificate = certificate;
        var client = MutualTlsClient(certificate.CopyWithPrivateKey(key));
        try
        {
            var instructions = await RetryAsync(() => SendAsync<AgentInstructions>(client, AgentPaths.Register,
                new RegistrationBody(Version, host.Hostname, new NodeInventory(host.Cpus, host.MemoryGiB, gpus.Inventory(), gpus.Name)), cancellationToken), cancellationToken);
            Registered = true;
            log?.Invoke($"registered {config.Node}; health {instructions.Health}");
            while (true)
            {
                await Task.Delay(TimeSpan.FromSeconds(instructions.HeartbeatIntervalSeconds), time, cancellationToken);
                try
                {
                    if (NeedsRenewal(certificate))
                    {
                        (key, certificate) = await RenewAsync(client, cancellationToken);
                        Certificate = certificate;
                        client.Dispose();
                        client = MutualTlsClient(certificate.CopyWithPrivateKey(key));
                    }
                    instructions = await SendAsync<AgentInstructions>(client, AgentPaths.Heartbeat, new HeartbeatBody(gpus.Health(), host.Links()), cancellationToken);
                    Heartbeats++;
                }
                catch (Exception ex) when (IsTransient(ex, cancellationToken))
                {
                    // The control plane restarting is not the agent's problem: keep beating (and renew next time).
                    log?.Invoke($"heartbeat failed, will retry: {ex.Message}");
                }
            }
        }
        finally
        {
            client.Dispose();
        }
    }

    /// <summary>Retries while the control plane is unreachable or failing (1 s doubling to 30 s); a refusal is final.</summary>
    private async Task<T> RetryAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (true)
        {
            try
            {
                return await call();
            }
            catch (Exception ex) when (IsTransient(ex, cancellationToken))
            {
                log?.Invoke($"control plane unavailable, retrying in {delay.TotalSeconds:0} s: {ex.Message}");
                await Task.Delay(delay, time, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
        }
    }

    /// <summary>Unreachable, failing (5xx) or too slow: worth retrying. A refusal (401) or our own cancellation is not.</summary>
    private static bool IsTransient(Exception ex, CancellationToken cancellationToken) => ex switch
    {
        HttpRequestException http => http.StatusCode is null or >= HttpStatusCode.InternalServerError,
        TaskCanceledException => !cancellationToken.IsCancellationRequested, // HttpClient's timeout
        _ => false,
    };

    private async Task<(ECDsa Key, X509Certificate2 Certificate)> BootstrapAsync(CancellationToken cancellationToken)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var client = Client(clientCertificate: null);
        using var request = new HttpRequestMessage(HttpMethod.Post, AgentPaths.Certificate) { Content = JsonContent.Create(new CertificateRequestBody(Csr(key)), options: Json) };
        request.Headers.Authorization = new("Bearer", config.BootstrapToken);
        var issued = await ReadAsync<CertificateResponse>(await client.SendAsync(request, cancellationToken), cancellationToken);
        var certificate = X509Certificate2.CreateFromPem(issued.Certificate);
        SaveState(key, certificate);
        log?.Invoke($"bootstrapped {config.Node}: certificate {certificate.SerialNumber} until {issued.NotAfter:O}");
        return (key, certificate);
    }

    private async Task<(ECDsa Key, X509Certificate2 Certificate)> RenewAsync(HttpClient client, CancellationToken cancellationToken)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var issued = await SendAsync<CertificateResponse>(client, AgentPaths.Renew, new CertificateRequestBody(Csr(key)), cancellationToken);
        var certificate = X509Certificate2.CreateFromPem(issued.Certificate);
        SaveState(key, certificate);
        log?.Invoke($"renewed certificate: {certificate.SerialNumber} until {issued.NotAfter:O}");
        return (key, certificate);
    }

    private bool NeedsRenewal(X509Certificate2 certificate)
    {
        var life = certificate.NotAfter - certificate.NotBefore;
        return time.GetUtcNow().UtcDateTime >= certificate.NotBefore.ToUniversalTime() + (life * 2 / 3);
    }

    private string Csr(ECDsa key) =>
        new CertificateRequest(new X500DistinguishedName($"CN={config.Node}"), key, HashAlgorithmName.SHA256).CreateSigningRequestPem();

    private HttpClient MutualTlsClient(X509Certificate2 clientCertificate) => Client(clientCertificate);

    private HttpClient Client(X509Certificate2? clientCertificate)
    {
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = clientCertificate is null ? null : [clientCertificate],
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                    certificate is X509Certificate2 server && (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0 && IssuedByOurCa(server),
            },
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
        return new HttpClient(handler) { BaseAddress = config.ControlPlane, Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>A server certificate from our CA, for server authentication (every node's client certificate is from
    /// the same CA: without the usage check a node could pose as the control plane).</summary>
    private bool IssuedByOurCa(X509Certificate2 certificate)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(_ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.1"));
        chain.ChainPolicy.VerificationTime = time.GetUtcNow().UtcDateTime;
        try
        {
            return chain.Build(certificate);
        }
        finally
        {
            foreach (var element in chain.ChainElements)
            {
                if (!ReferenceEquals(element.Certificate, certificate))
                {
                    element.Certificate.Dispose();
                }
            }
        }
    }

    private static async Task<T> SendAsync<T>(HttpClient client, string path, object body, CancellationToken cancellationToken) =>
        await ReadAsync<T>(await client.PostAsJsonAsync(path, body, Json, cancellationToken), cancellationToken);

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        using (response)
        {
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            {
                throw new AgentRefusedException(await response.Content.ReadAsStringAsync(cancellationToken));
            }
            if (!response.IsSuccessStatusCode)
            {
                throw new HttpRequestException($"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}", null, response.StatusCode);
            }
            return (await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken))!;
        }
    }

    private (ECDsa, X509Certificate2)? LoadState()
    {
        if (config.StateDirectory is not { } directory || !File.Exists(Path.Combine(directory, "agent.key")))
        {
            return null;
        }
        var key = ECDsa.Create();
        key.ImportFromPem(File.ReadAllText(Path.Combine(directory, "agent.key")));
        var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(directory, "agent.crt")));
        var matches = certificate.GetECDsaPublicKey() is { } published && published.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo());
        return matches && certificate.NotAfter.ToUniversalTime() > time.GetUtcNow().UtcDateTime ? (key, certificate) : null;
    }

    private void SaveState(ECDsa key, X509Certificate2 certificate)
    {
        if (config.StateDirectory is not { } directory)
        {
            return;
        }
        Directory.CreateDirectory(directory);
        var keyPath = Path.Combine(directory, "agent.key");
        File.WriteAllText(keyPath + ".tmp", key.ExportPkcs8PrivateKeyPem());
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(keyPath + ".tmp", UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        var certificatePath = Path.Combine(directory, "agent.crt");
        File.WriteAllText(certificatePath + ".tmp", certificate.ExportCertificatePem());
        // Key first, then certificate: a crash between leaves an old certificate that the new key does not match,
        // which LoadState detects, rather than a certificate without its key.
        File.Move(keyPath + ".tmp", keyPath, overwrite: true);
        File.Move(certificatePath + ".tmp", certificatePath, overwrite: true);
    }
}

/// <summary>The control plane refused this agent: a spent or unknown bootstrap token, or a revoked or expired certificate.</summary>
public sealed class AgentRefusedException(string detail) : Exception($"The control plane refused the agent: {detail}");

/// <summary>What the agent reports about the machine besides GPUs.</summary>
public sealed record HostFacts(string Hostname, int Cpus, int MemoryGiB, Func<IReadOnlyList<LinkHealth>> Links)
{
    public static HostFacts OfThisMachine() => new(
        Environment.MachineName, Environment.ProcessorCount,
        (int)(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024L * 1024 * 1024)),
        () => [.. System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.NetworkInterfaceType != System.Net.NetworkInformation.NetworkInterfaceType.Loopback)
            .Select(n => new LinkHealth(n.Name, n.NetworkInterfaceType == System.Net.NetworkInformation.NetworkInterfaceType.Ethernet ? "ethernet" : "other",
                n.OperationalStatus == System.Net.NetworkInformation.OperationalStatus.Up ? "Up" : "Down"))]);
}
