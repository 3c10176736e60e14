using System.Security.Claims;
using System.Security.Cryptography.X509Certificates;
using System.Text.Encodings.Web;
using Dflare.Core.Provisioning.Agents;
using Dflare.Persistence.Store;
using Dflare.Server.Api.Problems;
using Dflare.Server.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dflare.Server.Access;

/// <summary>
/// Node agents, by client certificate on the agent listener: the certificate must chain to the agent CA, be valid
/// now, be a client certificate, and be one of the two the node may hold (current, or the one before a renewal),
/// and the node must not be revoked. The node's name is the certificate's common name.
/// </summary>
internal sealed class AgentCertificateAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "AgentCertificate";
    public const string NodeClaim = "dflare:node";
    public const string SerialClaim = "dflare:certificate-serial";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (Context.Connection.LocalPort != Context.RequestServices.GetRequiredService<AgentListener>().Port)
        {
            return AuthenticateResult.NoResult();
        }
        var certificate = Context.Connection.ClientCertificate ?? await Context.Connection.GetClientCertificateAsync(Context.RequestAborted);
        if (certificate is null)
        {
            return AuthenticateResult.Fail("no client certificate");
        }
        var ca = Context.RequestServices.GetRequiredService<AgentCertificateAuthority>();
        await ca.EnsureAsync(Context.RequestAborted);
        if (!IsValid(ca, certificate))
        {
            return AuthenticateResult.Fail("the client certificate is not a valid agent certificate (unknown issuer, expired, or not for client authentication)");
        }
        var node = certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
        var serial = certificate.SerialNumber;
        var db = Context.RequestServices.GetRequiredService<DflareDbContext>();
        var agent = await (from n in db.Nodes
                           join a in db.NodeAgents on n.Id equals a.NodeId
                           where n.Name == node
                           select a).AsNoTracking().FirstOrDefaultAsync(Context.RequestAborted);
        if (agent is null || agent.RevokedAt is not null || (agent.CertificateSerial != serial && agent.PreviousCertificateSerial != serial))
        {
            return AuthenticateResult.Fail(agent?.RevokedAt is not null ? "the node's agent is revoked" : "the certificate is no longer one this node may use");
        }
        var identity = new ClaimsIdentity([new Claim(NodeClaim, node), new Claim(SerialClaim, serial)], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    /// <summary>The chain is built once per connection (an agent keeps its connection for many heartbeats and a
    /// connection keeps its certificate); validity in time is checked on every request.</summary>
    private bool IsValid(AgentCertificateAuthority ca, X509Certificate2 certificate)
    {
        var now = Context.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime;
        if (now < certificate.NotBefore.ToUniversalTime() || now > certificate.NotAfter.ToUniversalTime())
        {
            return false;
        }
        var connection = Context.Features.Get<IConnectionItemsFeature>()?.Items;
        if (connection is not null && connection.TryGetValue(ValidatedCertificateKey, out var validated) && ReferenceEquals(validated, certificate))
        {
            return true;
        }
        if (!ca.IsValidClientCertificate(certificate))
        {
            return false;
        }
        if (connection is not null)
        {
            connection[ValidatedCertificateKey] = certificate;
        }
        return true;
    }

    private static readonly object ValidatedCertificateKey = new();

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var failure = (await HandleAuthenticateOnceSafeAsync()).Failure?.Message ?? "no client certificate";
        await new ProblemResult(Problem.Create(StatusCodes.Status401Unauthorized, ProblemCodes.AgentUnauthorized, "The agent is not authenticated.",
            $"Agents present their client certificate on the agent listener: {failure}.")).ExecuteAsync(Context);
    }
}
