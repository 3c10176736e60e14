using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Dflare.Agent.Protocol;
using Dflare.Core.Provisioning.Agents;
using Dflare.Core.Provisioning;
using Dflare.Core.Provisioning.CloudInit;
using Dflare.Core.Secrets;
using Dflare.Persistence.Store;
using Dflare.Server.Hosting;
using Dflare.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dflare.Tests.Provisioning;

/// <summary>
/// The agent protocol refuses whoever should be refused: no token, an unknown, expired or spent token, no client
/// certificate, one from another CA, an expired or superseded one, a revoked node. The test plays the agent of a
/// simulated node whose own agent never starts, with the token read from the node's real cloud-init seed.
/// </summary>
public sealed class AgentSecurityTests : IAsyncLifetime
{
    private const string Node = "sec-r1-n01";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _directory = new();
    private TestServer? _server;
    private AgentConfig _config = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        var topology = await SimulatedDatacenterTests.TopologyAsync(_directory,
            """{"sites":[{"name":"sec","racks":1,"nodesPerRack":1}],"skus":[{"name":"hgx-h100-8"}],"faults":{"sec-r1-n01":["AgentNeverRegisters"]}}""");
        var settings = SimulatedDatacenterTests.FleetSettings(_directory.Path, topology);
        settings["Provisioning:RegistrationTimeout"] = "00:10:00";
        _server = await TestServer.StartAsync(StoreTarget.Sqlite(), settings);
        // cloud-init has run on the node (it phoned home) and its agent is not started: take the token from the
        // user-data the node was served (it is served once, so from the store, as the node's config drive holds it).
        var userData = await Poll.UntilAsync(_ => UserDataAsync(), Deadline, "the node to finish cloud-init");
        _config = CloudInitRenderer.ReadAgentConfig(userData)!;
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        _directory.Dispose();
    }

    [Fact]
    public async Task BootstrapToken_IsRequired_WorksOnce_AndNotAfterItExpires()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var agent = AgentClient(null);

        var none = await agent.PostAsJsonAsync(AgentPaths.Certificate, new CertificateRequestBody(Csr(key)), Ct);
        var unknown = await IssueAsync(agent, "dfb_not-a-token", Csr(key));
        var badCsr = await IssueAsync(agent, _config.BootstrapToken, "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----");
        await SetTokenExpiryAsync(DateTimeOffset.UtcNow.AddMinutes(-1));
        var expired = await IssueAsync(agent, _config.BootstrapToken, Csr(key));
        await SetTokenExpiryAsync(DateTimeOffset.UtcNow.AddMinutes(10));
        var first = await IssueAsync(agent, _config.BootstrapToken, Csr(key));
        var reused = await IssueAsync(agent, _config.BootstrapToken, Csr(key));

        await none.AssertProblemAsync(401, "agent-unauthorized");
        await unknown.AssertProblemAsync(401, "agent-unauthorized");
        await badCsr.AssertProblemAsync(422, "validation-failed", "csr"); // and the token is not spent by it
        await expired.AssertProblemAsync(401, "agent-unauthorized");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        await reused.AssertProblemAsync(401, "agent-unauthorized");
        var issued = (await first.Content.ReadFromJsonAsync<CertificateResponse>(Ct))!;
        using var certificate = X509Certificate2.CreateFromPem(issued.Certificate);
        Assert.Equal($"CN={Node}", certificate.Subject);
        Assert.Equal("CN=Dflare node agent CA", certificate.Issuer);
    }

    [Fact]
    public async Task MutualTls_RefusesMissingForeignExpiredAndRevokedCertificates()
    {
        var (key, certificate) = await BootstrapAsync();
        using var valid = AgentClient(certificate.CopyWithPrivateKey(key));
        using var anonymous = AgentClient(null);
        using var foreignKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var foreign = AgentClient(new CertificateRequest($"CN={Node}", foreignKey, HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1)));
        using var expiredKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var expiredCertificate = await IssueExpiredAsync(expiredKey);
        using var expired = AgentClient(expiredCertificate.CopyWithPrivateKey(expiredKey));
        using var api = new HttpClient(new SocketsHttpHandler()) { BaseAddress = _server!.Server.BaseAddress };

        var registered = await RegisterAsync(valid);
        var withoutCertificate = await RegisterAsync(anonymous);
        var fromAnotherCa = await RegisterAsync(foreign);
        var outOfDate = await RegisterAsync(expired);
        var onTheApiListener = await RegisterAsync(api);
        var apiOnTheAgentListener = await valid.GetAsync("/api/v1/tenants", Ct);
        var revoke = await _server.Client.PostAsync($"/api/v1/nodes/{Node}/revoke-agent", null, Ct);
        var afterRevocation = await valid.PostAsJsonAsync(AgentPaths.Heartbeat, new HeartbeatBody([], []), Ct);
        var node = await (await _server.Client.GetAsync($"/api/v1/nodes/{Node}", Ct)).ReadAsync();

        Assert.Equal(HttpStatusCode.OK, registered.StatusCode);
        await withoutCertificate.AssertProblemAsync(401, "agent-unauthorized");
        await fromAnotherCa.AssertProblemAsync(401, "agent-unauthorized");
        await outOfDate.AssertProblemAsync(401, "agent-unauthorized");
        await onTheApiListener.AssertProblemAsync(404, "route-not-found");
        await apiOnTheAgentListener.AssertProblemAsync(404, "route-not-found");
        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        await afterRevocation.AssertProblemAsync(401, "agent-unauthorized");
        Assert.True((bool)node["status"]!["agent"]!["revoked"]!);
    }

    [Fact]
    public async Task Renewal_IssuesANewCertificate_AndRetiresTheOneBeforeThePrevious()
    {
        var (key, first) = await BootstrapAsync();
        using var firstClient = AgentClient(first.CopyWithPrivateKey(key));
        using var secondKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var second = await RenewAsync(firstClient, secondKey);
        using var secondClient = AgentClient(second.CopyWithPrivateKey(secondKey));
        using var thirdKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var third = await RenewAsync(secondClient, thirdKey);
        using var thirdClient = AgentClient(third.CopyWithPrivateKey(thirdKey));

        Assert.NotEqual(first.SerialNumber, second.SerialNumber);
        Assert.Equal(HttpStatusCode.OK, (await RegisterAsync(thirdClient)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await RegisterAsync(secondClient)).StatusCode); // the previous one, while it lives
        await (await RegisterAsync(firstClient)).AssertProblemAsync(401, "agent-unauthorized");
    }

    private async Task<(ECDsa Key, X509Certificate2 Certificate)> BootstrapAsync()
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var agent = AgentClient(null);
        var response = await IssueAsync(agent, _config.BootstrapToken, Csr(key));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (key, X509Certificate2.CreateFromPem((await response.Content.ReadFromJsonAsync<CertificateResponse>(Ct))!.Certificate));
    }

    private static async Task<X509Certificate2> RenewAsync(HttpClient client, ECDsa key)
    {
        var response = await client.PostAsJsonAsync(AgentPaths.Renew, new CertificateRequestBody(Csr(key)), Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return X509Certificate2.CreateFromPem((await response.Content.ReadFromJsonAsync<CertificateResponse>(Ct))!.Certificate);
    }

    /// <summary>Signed by the real CA and made the node's current certificate, so that only its dates are wrong.</summary>
    private async Task<X509Certificate2> IssueExpiredAsync(ECDsa key)
    {
        var ca = _server!.Server.App.Services.GetRequiredService<AgentCertificateAuthority>();
        var request = new CertificateRequest($"CN={Node}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], true));
        // The CA's life starts five minutes before it was created: this one lived for that CA's first minute.
        var born = new DateTimeOffset(ca.Certificate.NotBefore.ToUniversalTime(), TimeSpan.Zero);
        var certificate = request.Create(ca.Certificate, born, born.AddMinutes(1), RandomNumberGenerator.GetBytes(16));
        Assert.True(certificate.NotAfter.ToUniversalTime() < DateTime.UtcNow);
        await using var scope = _server.Server.App.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DflareDbContext>();
        var nodeId = await db.Nodes.Where(n => n.Name == Node).Select(n => n.Id).SingleAsync(Ct);
        await db.NodeAgents.Where(a => a.NodeId == nodeId).ExecuteUpdateAsync(s => s.SetProperty(a => a.PreviousCertificateSerial, certificate.SerialNumber), Ct);
        return certificate;
    }

    private async Task SetTokenExpiryAsync(DateTimeOffset expiresAt)
    {
        await using var scope = _server!.Server.App.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DflareDbContext>();
        await db.BootstrapTokens.ExecuteUpdateAsync(s => s.SetProperty(t => t.ExpiresAt, expiresAt), Ct);
    }

    private async Task<string?> UserDataAsync()
    {
        await using var scope = _server!.Server.App.Services.CreateAsyncScope();
        var boot = await scope.ServiceProvider.GetRequiredService<DflareDbContext>().NodeBoots.FirstOrDefaultAsync(b => b.CloudInitFinishedAt != null, Ct);
        return boot is null ? null : scope.ServiceProvider.GetRequiredService<SecretProtector>().Open(ProvisionNodeWorkflow.SealPurpose, boot.UserDataSealed);
    }

    [Fact]
    public async Task UserData_IsServedOnce_AndASecondFetchAbandonsTheBoot()
    {
        var again = await _server!.Anonymous.GetAsync($"/provisioning/v1/nodes/{Node}/user-data", Ct);

        await again.AssertProblemAsync(410, "not-found");
        var node = await Poll.UntilAsync(async ct =>
        {
            var current = await (await _server.Client.GetAsync($"/api/v1/nodes/{Node}", ct)).ReadAsync();
            return (string?)current["status"]!["state"] == "Failed" ? current : null;
        }, Deadline, "the abandoned boot to fail the node");
        Assert.Contains("requested a second time", (string?)node["status"]!["reason"], StringComparison.Ordinal);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var agent = AgentClient(null);
        await (await IssueAsync(agent, _config.BootstrapToken, Csr(key))).AssertProblemAsync(401, "agent-unauthorized"); // its token died with it
    }

    [Fact]
    public async Task TokenOfAnEarlierBoot_IsRefused()
    {
        await using (var scope = _server!.Server.App.Services.CreateAsyncScope())
        {
            // As if the node had been provisioned again since: the boot it is on now is another run's.
            await scope.ServiceProvider.GetRequiredService<DflareDbContext>().NodeBoots
                .ExecuteUpdateAsync(s => s.SetProperty(b => b.RunId, Guid.CreateVersion7()), Ct);
        }
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var agent = AgentClient(null);

        await (await IssueAsync(agent, _config.BootstrapToken, Csr(key))).AssertProblemAsync(401, "agent-unauthorized");
    }

    private HttpClient AgentClient(X509Certificate2? certificate) => new(new SocketsHttpHandler
    {
        SslOptions = new SslClientAuthenticationOptions
        {
            ClientCertificates = certificate is null ? null : [certificate],
            RemoteCertificateValidationCallback = (_, server, _, _) => server is X509Certificate2 presented && IssuedByAgentCa(presented),
        },
    })
    { BaseAddress = _server!.Server.AgentAddress };

    private bool IssuedByAgentCa(X509Certificate2 certificate)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(_server!.Server.App.Services.GetRequiredService<AgentCertificateAuthority>().Certificate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }

    /// <summary>Registers with the SKU's eight GPUs: a healthy registration completes the waiting provisioning run. (A
    /// degraded one would fail the run, whose compensation voids the node's certificates while the test still uses
    /// them.)</summary>
    private static Task<HttpResponseMessage> RegisterAsync(HttpClient client) =>
        client.PostAsJsonAsync(AgentPaths.Register, new RegistrationBody("test", Node, new NodeInventory(112, 2048,
            [.. Enumerable.Range(0, 8).Select(i => new GpuInfo(i, "H100-SXM5-80GB", $"SEC-{i}", null))], "test")), Ct);

    private static async Task<HttpResponseMessage> IssueAsync(HttpClient client, string token, string csr)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, AgentPaths.Certificate) { Content = JsonContent.Create(new CertificateRequestBody(csr)) };
        request.Headers.Authorization = new("Bearer", token);
        return await client.SendAsync(request, Ct);
    }

    private static string Csr(ECDsa key) => new CertificateRequest($"CN={Node}", key, HashAlgorithmName.SHA256).CreateSigningRequestPem();
}
