using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Dflare.Core.Secrets;
using Dflare.Persistence.Provisioning;
using Dflare.Persistence.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dflare.Core.Provisioning.Agents;

/// <summary>
/// The CA node agents trust and are trusted by. Created once in the store (the key sealed), so every replica signs
/// with the same one; it signs agents' client certificates and the agent listener's server certificate.
/// </summary>
public sealed class AgentCertificateAuthority(IServiceScopeFactory scopes, Func<SecretProtector> secrets, TimeProvider time) : IDisposable
{
    public const string StoreName = "agents";
    private const string KeyPurpose = "ca-private-key";
    private static readonly Oid ClientAuthentication = new("1.3.6.1.5.5.7.3.2");
    private static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1");

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Lock _serverGate = new();
    private X509Certificate2? _ca;
    private X509Certificate2? _serverCertificate;
    private SslStreamCertificateContext? _serverContext;

    /// <summary>The CA certificate (with its key), created in the store on first use.</summary>
    public X509Certificate2 Certificate => _ca ?? throw new InvalidOperationException("The agent CA is not loaded; call EnsureAsync first.");

    public string CertificatePem => Certificate.ExportCertificatePem();

    public async Task EnsureAsync(CancellationToken cancellationToken)
    {
        if (_ca is not null)
        {
            return;
        }
        await _gate.WaitAsync(cancellationToken);
        try
        {
            _ca ??= await LoadOrCreateAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<X509Certificate2> LoadOrCreateAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DflareDbContext>();
        var row = await db.CertificateAuthorities.AsNoTracking().FirstOrDefaultAsync(c => c.Name == StoreName, cancellationToken);
        if (row is null)
        {
            var now = time.GetUtcNow();
            // P-256: 128-bit security, and the curve OpenSSL has optimised code for. On these machines a P-384 signature
            // costs ~1.9 ms and a chain check ~2.9 ms against ~0.3 ms for P-256, paid for every node an operator adds.
            // A CA created as P-384 by an earlier version keeps working.
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest(new X500DistinguishedName("CN=Dflare node agent CA"), key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
            using var created = request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(10));
            row = new CertificateAuthorityRow
            {
                Name = StoreName,
                CertificatePem = created.ExportCertificatePem(),
                PrivateKeySealed = secrets().Seal(KeyPurpose, key.ExportPkcs8PrivateKeyPem()),
                CreatedAt = now,
            };
            db.CertificateAuthorities.Add(row);
            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateException ex) when (StoreErrors.IsUniqueViolation(ex))
            {
                // Another replica created it first: use theirs.
                db.ChangeTracker.Clear();
                row = await db.CertificateAuthorities.AsNoTracking().SingleAsync(c => c.Name == StoreName, cancellationToken);
            }
        }
        var ca = X509Certificate2.CreateFromPem(row.CertificatePem);
        var caKey = ECDsa.Create();
        caKey.ImportFromPem(secrets().Open(KeyPurpose, row.PrivateKeySealed));
        return ca.CopyWithPrivateKey(caKey);
    }

    /// <summary>Signs a client certificate for <paramref name="node"/> from a PKCS#10 request (whose signature is
    /// checked; its subject is ignored). Throws <see cref="CryptographicException"/> for a request that cannot be read.</summary>
    public X509Certificate2 IssueClientCertificate(string csrPem, string node, TimeSpan lifetime)
    {
        var csr = CertificateRequest.LoadSigningRequestPem(csrPem, HashAlgorithmName.SHA256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={node}"), csr.PublicKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ClientAuthentication], true));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        var now = time.GetUtcNow();
        return request.Create(Certificate, now.AddMinutes(-1), now + lifetime, NewSerial());
    }

    /// <summary>The agent listener's TLS certificate as a context built once: a context made per handshake (what a
    /// certificate selector gets) builds the certificate's chain on every connection of every agent.</summary>
    public SslStreamCertificateContext ServerCertificateContext(IReadOnlyList<string> hostNames)
    {
        var certificate = ServerCertificate(hostNames);
        lock (_serverGate)
        {
            if (_serverContext?.TargetCertificate != certificate)
            {
                _serverContext = SslStreamCertificateContext.Create(certificate, additionalCertificates: null, offline: true);
            }
            return _serverContext;
        }
    }

    /// <summary>The agent listener's TLS certificate for loopback and the configured names, issued once per process.</summary>
    public X509Certificate2 ServerCertificate(IReadOnlyList<string> hostNames)
    {
        lock (_serverGate)
        {
            if (_serverCertificate is { } existing && existing.NotAfter.ToUniversalTime() > time.GetUtcNow().UtcDateTime.AddDays(1))
            {
                return existing;
            }
            if (_ca is null)
            {
                // A replica that started before the store was migrated: load the CA now (once).
                EnsureAsync(CancellationToken.None).GetAwaiter().GetResult();
            }
            _serverCertificate = IssueServerCertificate(hostNames);
            return _serverCertificate;
        }
    }

    private X509Certificate2 IssueServerCertificate(IReadOnlyList<string> hostNames)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName("CN=Dflare agent listener"), key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        names.AddIpAddress(System.Net.IPAddress.IPv6Loopback);
        names.AddDnsName("localhost");
        names.AddDnsName(System.Net.Dns.GetHostName());
        foreach (var name in hostNames)
        {
            if (System.Net.IPAddress.TryParse(name, out var address))
            {
                names.AddIpAddress(address);
            }
            else
            {
                names.AddDnsName(name);
            }
        }
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ServerAuthentication], true));
        var now = time.GetUtcNow();
        using var issued = request.Create(Certificate, now.AddMinutes(-1), now.AddDays(30), NewSerial());
        using var withKey = issued.CopyWithPrivateKey(key);
        // Exported and re-imported so that SslStream on every platform finds the key.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>Whether <paramref name="certificate"/> chains to this CA, is valid now and is a client certificate.</summary>
    public bool IsValidClientCertificate(X509Certificate2 certificate)
    {
        using var chain = new X509Chain { ChainPolicy = ClientChainPolicy() };
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

    /// <summary>How an agent's client certificate is checked: it chains to this CA alone, is valid now and is for client
    /// authentication. Also given to the TLS handshake, so that it never consults the system's trust stores.</summary>
    public X509ChainPolicy ClientChainPolicy()
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
            VerificationTime = time.GetUtcNow().UtcDateTime,
            // Never fetch what a presented certificate points at (AIA): anyone may present one here.
            DisableCertificateDownloads = true,
        };
        policy.CustomTrustStore.Add(Certificate);
        policy.ApplicationPolicy.Add(ClientAuthentication);
        return policy;
    }

    public void Dispose()
    {
        _gate.Dispose();
        _ca?.Dispose();
        _serverCertificate?.Dispose();
    }

    private static byte[] NewSerial()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        return serial;
    }
}
