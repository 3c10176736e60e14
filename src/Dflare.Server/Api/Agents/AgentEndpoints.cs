using System.Security.Cryptography;
using System.Text.Json;
using Dflare.Agent.Protocol;
using Dflare.Core.Provisioning.Agents;
using Dflare.Core.Workflows;
using Dflare.Persistence.Provisioning;
using Dflare.Persistence.Store;
using Dflare.Server.Access;
using Dflare.Server.Api.Json;
using Dflare.Server.Api.Problems;
using Dflare.Server.Hosting;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Dflare.Server.Api.Agents;

/// <summary>
/// The agent protocol, on the agent listener only: a first certificate for a one-time bootstrap token, then
/// registration, heartbeats and renewal over mTLS. Elsewhere these routes answer 404.
/// </summary>
public static class AgentEndpoints
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static void MapAgents(this IEndpointRouteBuilder app)
    {
        var agents = app.MapGroup("").ExcludeFromDescription();
        agents.MapPost(AgentPaths.Certificate, IssueAsync).AllowAnonymous();
        var authenticated = new AuthorizationPolicyBuilder(AgentCertificateAuthentication.SchemeName).RequireClaim(AgentCertificateAuthentication.NodeClaim).Build();
        agents.MapPost(AgentPaths.Renew, RenewAsync).RequireAuthorization(authenticated);
        agents.MapPost(AgentPaths.Register, RegisterAsync).RequireAuthorization(authenticated);
        agents.MapPost(AgentPaths.Heartbeat, HeartbeatAsync).RequireAuthorization(authenticated);
    }

    /// <summary>Before authentication: the agent listener serves the agent protocol and nothing else (nodes' tenants
    /// can reach it), and the agent routes do not exist on the API listener — 404 either way, not 401.</summary>
    public static void UseAgentListenerOnly(this IApplicationBuilder app) =>
        app.Use(async (http, next) =>
        {
            var onAgentListener = http.Connection.LocalPort == http.RequestServices.GetRequiredService<AgentListener>().Port;
            if (http.Request.Path.StartsWithSegments("/agent") != onAgentListener)
            {
                await Problem.Of(StatusCodes.Status404NotFound, ProblemCodes.RouteNotFound, "No such route.", "The agent protocol is served on the agent listener only.").ExecuteAsync(http);
                return;
            }
            await next(http);
        });

    private static async Task<IResult> IssueAsync(
        HttpContext http, DflareDbContext db, AgentCertificateAuthority ca, IOptions<AgentOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return Refused("Send the node's one-time bootstrap token as Authorization: Bearer <token>.");
        }
        var body = await RequestBodies.ReadAsync<CertificateRequestBody>(http, cancellationToken);
        if (body.Problem is not null)
        {
            return body.Problem;
        }
        if (!IsReadableCsr(body.Value!.Csr))
        {
            return InvalidCsr();
        }
        var now = time.GetUtcNow();
        var presented = header["Bearer ".Length..].Trim();
        var valid = await BootstrapTokens.FindValidAsync(db, presented, now, cancellationToken);
        // Only the token of the boot the node is provisioning with now: an older run's token is worthless.
        var node = valid is null ? null : await (from n in db.Nodes
                                                  join b in db.NodeBoots on n.Id equals b.NodeId
                                                  where n.Id == valid.NodeId && b.RunId == valid.RunId && n.State == nameof(Core.Inventory.NodeState.Provisioning)
                                                  select n).AsNoTracking().FirstOrDefaultAsync(cancellationToken);
        await ca.EnsureAsync(cancellationToken);
        // Signed before the token is spent, so nothing that can fail comes after spending it.
        using var certificate = node is null ? null : ca.IssueClientCertificate(body.Value.Csr, node.Name, options.Value.CertificateLifetime);
        if (node is null || await BootstrapTokens.RedeemAsync(db, presented, now, cancellationToken) is null)
        {
            return Refused("The bootstrap token is unknown, expired or already spent; a token works once. Provision the node again for a new one.");
        }
        // The token is spent: finish even if the caller goes away, or the node is left with neither token nor certificate.
        var agent = await db.NodeAgents.SingleAsync(a => a.NodeId == node.Id, CancellationToken.None);
        agent.CertificateSerial = certificate!.SerialNumber;
        agent.PreviousCertificateSerial = null;
        agent.CertificateNotAfter = certificate.NotAfter.ToUniversalTime();
        await db.SaveChangesAsync(CancellationToken.None);
        return TypedResults.Ok(new CertificateResponse(node.Name, certificate.ExportCertificatePem(), ca.CertificatePem, certificate.NotAfter.ToUniversalTime()));
    }

    private static async Task<IResult> RenewAsync(
        HttpContext http, DflareDbContext db, AgentCertificateAuthority ca, IOptions<AgentOptions> options, CancellationToken cancellationToken)
    {
        var body = await RequestBodies.ReadAsync<CertificateRequestBody>(http, cancellationToken);
        if (body.Problem is not null)
        {
            return body.Problem;
        }
        if (!IsReadableCsr(body.Value!.Csr))
        {
            return InvalidCsr();
        }
        var (node, agent) = await AgentOfAsync(http, db, cancellationToken);
        using var certificate = ca.IssueClientCertificate(body.Value.Csr, node, options.Value.CertificateLifetime);
        // The certificate presented stays valid until it expires, in case this answer is lost on the way.
        agent.PreviousCertificateSerial = http.User.FindFirst(AgentCertificateAuthentication.SerialClaim)!.Value;
        agent.CertificateSerial = certificate.SerialNumber;
        agent.CertificateNotAfter = certificate.NotAfter.ToUniversalTime();
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(new CertificateResponse(node, certificate.ExportCertificatePem(), ca.CertificatePem, certificate.NotAfter.ToUniversalTime()));
    }

    private static async Task<IResult> RegisterAsync(
        HttpContext http, DflareDbContext db, WorkflowClient workflows, IOptions<AgentOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        var body = await RequestBodies.ReadAsync<RegistrationBody>(http, cancellationToken);
        if (body.Problem is not null)
        {
            return body.Problem;
        }
        var registration = body.Value!;
        if (registration.AgentVersion is null || registration.Hostname is null || registration.Inventory?.Gpus is null || registration.Inventory.Gpus.Any(g => g?.Model is null))
        {
            return Incomplete("agentVersion, hostname and inventory.gpus (each with a model) are required.");
        }
        var (node, agent) = await AgentOfAsync(http, db, cancellationToken);
        var sku = await (from n in db.Nodes join s in db.Skus on n.Sku equals s.Name where n.Name == node select s).AsNoTracking().SingleAsync(cancellationToken);
        (agent.Health, agent.HealthReason) = AgentHealth.OfInventory(registration.Inventory, sku.GpuModel, sku.GpuCount);
        var now = time.GetUtcNow();
        agent.RegisteredAt = agent.LastHeartbeatAt = now;
        agent.AgentVersion = registration.AgentVersion.Length <= 64 ? registration.AgentVersion : registration.AgentVersion[..64];
        agent.Inventory = JsonSerializer.Serialize(registration.Inventory, Json);
        await db.SaveChangesAsync(cancellationToken);
        // The provisioning run's register step waits for this.
        if (await db.NodeBoots.Where(b => b.NodeId == agent.NodeId).Select(b => (Guid?)b.RunId).FirstOrDefaultAsync(cancellationToken) is { } run)
        {
            await workflows.WakeAsync(db, run, cancellationToken);
        }
        return TypedResults.Ok(new AgentInstructions((int)options.Value.HeartbeatInterval.TotalSeconds, agent.Health, agent.HealthReason));
    }

    private static async Task<IResult> HeartbeatAsync(
        HttpContext http, DflareDbContext db, IOptions<AgentOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        var body = await RequestBodies.ReadAsync<HeartbeatBody>(http, cancellationToken);
        if (body.Problem is not null)
        {
            return body.Problem;
        }
        if (body.Value!.Gpus is null || body.Value.Links is null || body.Value.Gpus.Any(g => g?.XidErrors is null) || body.Value.Links.Any(l => l is null))
        {
            return Incomplete("gpus (each with xidErrors) and links are required.");
        }
        var (node, agent) = await AgentOfAsync(http, db, cancellationToken);
        var sku = await (from n in db.Nodes join s in db.Skus on n.Sku equals s.Name where n.Name == node select s).AsNoTracking().SingleAsync(cancellationToken);
        var inventory = agent.Inventory is null ? null : JsonSerializer.Deserialize<NodeInventory>(agent.Inventory, Json);
        var (health, reason) = inventory is null ? (AgentHealth.Unknown, "the agent has not registered") : AgentHealth.OfInventory(inventory, sku.GpuModel, sku.GpuCount);
        if (health == AgentHealth.Green)
        {
            (health, reason) = AgentHealth.OfHeartbeat(body.Value!, inventory!.Gpus.Count);
        }
        reason = reason is { Length: > 1024 } ? reason[..1021] + "..." : reason;
        (agent.Health, agent.HealthReason) = (health, reason);
        agent.LastHeartbeatAt = time.GetUtcNow();
        agent.Report = JsonSerializer.Serialize(body.Value, Json);
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(new AgentInstructions((int)options.Value.HeartbeatInterval.TotalSeconds, health, reason));
    }

    private static async Task<(string Node, NodeAgentRow Agent)> AgentOfAsync(HttpContext http, DflareDbContext db, CancellationToken cancellationToken)
    {
        var node = http.User.FindFirst(AgentCertificateAuthentication.NodeClaim)!.Value;
        var agent = await (from n in db.Nodes join a in db.NodeAgents on n.Id equals a.NodeId where n.Name == node select a).SingleAsync(cancellationToken);
        return (node, agent);
    }

    private static bool IsReadableCsr(string? csr)
    {
        try
        {
            _ = System.Security.Cryptography.X509Certificates.CertificateRequest.LoadSigningRequestPem(csr ?? "", HashAlgorithmName.SHA256);
            return true;
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            return false;
        }
    }

    private static IResult Incomplete(string detail) => Problem.Of(StatusCodes.Status422UnprocessableEntity, ProblemCodes.ValidationFailed,
        "The report is incomplete.", detail);

    private static IResult InvalidCsr() => Problem.Of(StatusCodes.Status422UnprocessableEntity, ProblemCodes.ValidationFailed, "The certificate request cannot be used.",
        errors: [new Core.Resources.FieldError("csr", Core.Resources.FieldErrorCodes.InvalidFormat, "csr must be a PEM PKCS#10 request signed by its own key.")]);

    private static IResult Refused(string detail) =>
        Problem.Of(StatusCodes.Status401Unauthorized, ProblemCodes.AgentUnauthorized, "The agent is not authenticated.", detail);
}
