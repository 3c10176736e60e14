using Dflare.Core.Inventory;
using Dflare.Core.Provisioning;
using Dflare.Core.Provisioning.Agents;
using Dflare.Core.Secrets;
using Dflare.Core.Workflows;
using Dflare.Persistence.Provisioning;
using Dflare.Persistence.Store;
using Dflare.Server.Api.Json;
using Dflare.Server.Api.Problems;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dflare.Server.Api.Provisioning;

/// <summary>
/// What a booting node fetches, without credentials (it has none yet; in a datacenter these answer on the
/// provisioning network): the iPXE script and the cloud-init NoCloud seed (<c>ds=nocloud-net;s=…/nodes/{node}/</c>).
/// Served only while the node is provisioning. A node reports a failed boot stage with its bootstrap token.
/// </summary>
public static class BootEndpoints
{
    public const string Prefix = "/provisioning/v1/nodes";

    public static void MapBoot(this IEndpointRouteBuilder app)
    {
        var nodes = app.MapGroup(Prefix).AllowAnonymous().WithTags("Boot");
        nodes.MapGet("{node}/ipxe", IpxeAsync).WithSummary("The node's iPXE script: the deploy kernel with its cloud-init seed address.");
        nodes.MapGet("{node}/meta-data", (HttpContext http, DflareDbContext db, string node, CancellationToken ct) => DocumentAsync(http, db, node, b => b.MetaData, false, ct));
        nodes.MapGet("{node}/network-config", (HttpContext http, DflareDbContext db, string node, CancellationToken ct) => DocumentAsync(http, db, node, b => b.NetworkConfig, false, ct));
        nodes.MapGet("{node}/vendor-data", (HttpContext http, DflareDbContext db, string node, CancellationToken ct) => DocumentAsync(http, db, node, _ => "", false, ct));
        nodes.MapGet("{node}/user-data", (HttpContext http, DflareDbContext db, SecretProtector secrets, string node, CancellationToken ct) =>
            DocumentAsync(http, db, node, b => secrets.Open(ProvisionNodeWorkflow.SealPurpose, b.UserDataSealed), true, ct));
        nodes.MapPost("{node}/phone-home", PhoneHomeAsync).DisableAntiforgery()
            .WithSummary("cloud-init's phone_home: the node finished cloud-init (form fields instance_id and hostname).");
        nodes.MapPost("{node}/boot-failure", ReportFailureAsync).WithSummary("A booting node reports a stage that failed (pxe, image, cloud-init).");
    }

    private static async Task<IResult> IpxeAsync(HttpContext http, DflareDbContext db, string node, CancellationToken cancellationToken)
    {
        var boot = await BootOfAsync(db, node, cancellationToken);
        if (boot is null)
        {
            return NotProvisioning(node);
        }
        var seed = $"{http.Request.Scheme}://{http.Request.Host}{Prefix}/{node}/";
        return TypedResults.Text($"""
            #!ipxe
            # Dflare deploy for {node}: the deploy stage writes image '{boot.Image}' (see meta-data), then cloud-init runs.
            kernel {seed}deploy/vmlinuz ip=dhcp ds=nocloud-net;s={seed}
            initrd {seed}deploy/initrd
            boot

            """, "text/plain");
    }

    private static async Task<IResult> DocumentAsync(
        HttpContext http, DflareDbContext db, string node, Func<NodeBootRow, string> select, bool isUserData, CancellationToken cancellationToken)
    {
        var boot = await BootOfAsync(db, node, cancellationToken);
        if (boot is null)
        {
            return NotProvisioning(node);
        }
        if (isUserData)
        {
            // One fetch per boot: the deploy stage writes it to the node's config drive, where cloud-init reads it.
            // Whoever fetches second sees nothing, and the boot is abandoned: its one-time token may be exposed.
            var now = http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
            var first = await db.NodeBoots.Where(b => b.NodeId == boot.NodeId && b.RunId == boot.RunId && b.SeedFetchedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(b => b.SeedFetchedAt, now), cancellationToken);
            if (first == 0)
            {
                await db.NodeBoots.Where(b => b.NodeId == boot.NodeId && b.RunId == boot.RunId && b.FailedStage == null)
                    .ExecuteUpdateAsync(s => s.SetProperty(b => b.FailedStage, "cloud-init")
                        .SetProperty(b => b.FailureReason, "the user-data was requested a second time; its one-time token may be exposed, so this boot is abandoned"), cancellationToken);
                await http.RequestServices.GetRequiredService<WorkflowClient>().WakeAsync(db, boot.RunId, cancellationToken);
                return Problem.Of(StatusCodes.Status410Gone, ProblemCodes.NotFound, "Already fetched.",
                    $"Node '{node}''s user-data is served once per boot; provision the node again for a new one.");
            }
        }
        return TypedResults.Text(select(boot), "text/plain");
    }

    private static async Task<IResult> PhoneHomeAsync(
        HttpContext http, DflareDbContext db, WorkflowClient workflows, TimeProvider time, string node, CancellationToken cancellationToken)
    {
        var instance = http.Request.HasFormContentType ? (await http.Request.ReadFormAsync(cancellationToken))["instance_id"].ToString() : "";
        var boot = await BootOfAsync(db, node, cancellationToken);
        if (boot is null || !Guid.TryParseExact(instance, "N", out var runId) || runId != boot.RunId)
        {
            // An old boot or another instance: nothing this provisioning run waits for.
            return Problem.Of(StatusCodes.Status404NotFound, ProblemCodes.NotFound, "No such boot.",
                $"Node '{node}' has no provisioning boot with instance id '{instance}'.");
        }
        await db.NodeBoots.Where(b => b.NodeId == boot.NodeId && b.RunId == runId && b.CloudInitFinishedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(b => b.CloudInitFinishedAt, time.GetUtcNow()), cancellationToken);
        await workflows.WakeAsync(db, runId, cancellationToken); // the configure step waits for this
        return TypedResults.NoContent();
    }

    private static async Task<IResult> ReportFailureAsync(
        HttpContext http, DflareDbContext db, WorkflowClient workflows, TimeProvider time, string node, CancellationToken cancellationToken)
    {
        var header = http.Request.Headers.Authorization.ToString();
        var token = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            ? await BootstrapTokens.FindValidAsync(db, header["Bearer ".Length..].Trim(), time.GetUtcNow(), cancellationToken)
            : null;
        var boot = token is null ? null : await db.NodeBoots.FirstOrDefaultAsync(b => b.RunId == token.RunId, cancellationToken);
        if (boot is null || !await db.Nodes.AnyAsync(n => n.Id == boot.NodeId && n.Name == node, cancellationToken))
        {
            return Problem.Of(StatusCodes.Status401Unauthorized, ProblemCodes.AgentUnauthorized, "The node is not authenticated.",
                "A boot failure is reported with the node's bootstrap token from its cloud-init seed, before the token expires.");
        }
        var body = await RequestBodies.ReadAsync<BootFailureReport>(http, cancellationToken);
        if (body.Problem is not null)
        {
            return body.Problem;
        }
        var validation = new Core.Resources.Validation();
        if (validation.Required("stage", body.Value!.Stage) && body.Value.Stage is not ("pxe" or "image" or "cloud-init"))
        {
            validation.Add("stage", Core.Resources.FieldErrorCodes.InvalidFormat, "stage must be pxe, image or cloud-init.");
        }
        validation.Required("reason", body.Value.Reason);
        validation.Text("reason", body.Value.Reason, 1024);
        if (!validation.IsValid)
        {
            return Problem.Validation(validation.Errors);
        }
        boot.FailedStage ??= body.Value.Stage;
        boot.FailureReason ??= body.Value.Reason;
        await db.SaveChangesAsync(cancellationToken);
        await workflows.WakeAsync(db, boot.RunId, cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<NodeBootRow?> BootOfAsync(DflareDbContext db, string node, CancellationToken cancellationToken) =>
        await (from n in db.Nodes
               join b in db.NodeBoots on n.Id equals b.NodeId
               where n.Name == node && n.State == nameof(NodeState.Provisioning)
               select b).AsNoTracking().FirstOrDefaultAsync(cancellationToken);

    private static IResult NotProvisioning(string node) =>
        Problem.Of(StatusCodes.Status404NotFound, ProblemCodes.NotFound, "Nothing to boot.", $"Node '{node}' is not being provisioned.");
}

/// <summary>A boot stage a node reports as failed.</summary>
public sealed record BootFailureReport(string? Stage, string? Reason);
