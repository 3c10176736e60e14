using System.Text.Json.Nodes;
using Dflare.Agent.Protocol;
using Dflare.Core.Inventory;
using Dflare.Core.Provisioning.Agents;
using Dflare.Core.Provisioning.Bmc;
using Dflare.Core.Provisioning.CloudInit;
using Dflare.Core.Secrets;
using Dflare.Core.Workflows;
using Dflare.Persistence.Inventory;
using Dflare.Persistence.Provisioning;
using Microsoft.EntityFrameworkCore;

namespace Dflare.Core.Provisioning;

/// <summary>
/// Provisioning, with the reference architecture's steps: request → network → bootstrap (PXE once, power on) →
/// configure (the node writes its golden image and runs cloud-init) → storage → register (the agent registered with
/// green health). Available (or Ready, or a drained node) → Provisioning → Ready. A failure powers the node off,
/// voids its token and certificates, and leaves it Failed with the reason: never half-provisioned and Ready.
/// </summary>
public static class ProvisionNodeWorkflow
{
    public const string Name = "provision-node";
    public const string SealPurpose = "cloud-init-user-data";

    public static WorkflowDefinition Create(
        BmcDrivers drivers, Func<SecretProtector> secrets, AgentCertificateAuthority ca, ProvisioningSettings settings, TimeProvider time) => new()
    {
        Name = Name,
        SingleActivePerTarget = true,
        Steps =
        [
            new StepDefinition
            {
                Name = "request",
                Execute = (context, ct) => BeginAsync(context, time, ct),
                Compensate = (context, ct) => NodeFailure.FailAsync(context, time, NodeName(context), NodeState.Provisioning, "provisioning", ct),
            },
            new StepDefinition
            {
                Name = "network",
                // A node in the pool carries no tenant segment yet (a cluster attaches it through attach-network); this
                // records where the fabrics say it is cabled, so a missing cable shows up before it is handed out.
                Execute = (context, ct) => Network.NodeCabling.DescribeAsync(context, NodeName(context), ct),
            },
            new StepDefinition
            {
                Name = "bootstrap",
                Retry = settings.BmcRetry,
                Execute = (context, ct) => BootstrapAsync(context, drivers, secrets, ca, settings, time, ct),
                Compensate = (context, ct) => VoidAsync(context, drivers, secrets, time, ct),
            },
            new StepDefinition
            {
                Name = "configure",
                WaitDeadline = settings.BootTimeout,
                Execute = async (context, ct) =>
                {
                    NodeBootRow? boot = null;
                    await context.WriteAsync(async (db, token) => boot = await db.NodeBoots.AsNoTracking().SingleAsync(b => b.RunId == context.RunId, token), ct);
                    return boot!.FailedStage is { } stage ? StepResult.Permanent($"the node reported its {stage} stage failed: {boot.FailureReason}")
                        : boot.CloudInitFinishedAt is not null ? StepResult.Done(new JsonObject { ["seedFetchedAt"] = boot.SeedFetchedAt, ["cloudInitFinishedAt"] = boot.CloudInitFinishedAt })
                        : StepResult.WaitFor(boot.SeedFetchedAt is null
                            ? "the node to PXE boot and fetch its cloud-init seed"
                            : "the node to write its image, boot it and finish cloud-init", settings.PollInterval);
                },
            },
            new StepDefinition
            {
                Name = "storage",
                Execute = (_, _) => Task.FromResult(StepResult.Done(new JsonObject { ["skipped"] = "nothing to mount while the node is in the pool: a cluster mounts its volumes on its nodes (GET /api/v1/tenants/{t}/clusters/{c}/mounts)" })),
            },
            new StepDefinition
            {
                Name = "register",
                WaitDeadline = settings.RegistrationTimeout,
                Execute = (context, ct) => RegisterAsync(context, settings, time, ct),
            },
        ],
    };

    public static string Target(string node) => $"node/{node}";

    private static async Task<StepResult> BeginAsync(StepContext context, TimeProvider time, CancellationToken ct)
    {
        string? refused = null;
        await context.WriteAsync(async (db, token) =>
        {
            var node = await db.Nodes.SingleAsync(n => n.Name == NodeName(context), token);
            var state = Enum.Parse<NodeState>(node.State);
            if (state == NodeState.Provisioning)
            {
                return;
            }
            if (!NodeStateMachine.CanMove(state, NodeState.Provisioning))
            {
                refused = $"node {node.Name} is {state}; it can be provisioned only when Available, Ready or Draining";
                return;
            }
            NodeTransitions.Move(db, node, NodeState.Provisioning, time.GetUtcNow(), context.RunId);
            // A new life: whatever certificates the node held before (even revoked ones) are void.
            var agent = await db.NodeAgents.FirstOrDefaultAsync(a => a.NodeId == node.Id, token);
            if (agent is null)
            {
                db.NodeAgents.Add(new NodeAgentRow { NodeId = node.Id });
            }
            else
            {
                agent.CertificateSerial = agent.PreviousCertificateSerial = null;
                agent.CertificateNotAfter = agent.RevokedAt = agent.RegisteredAt = agent.LastHeartbeatAt = null;
                agent.Health = AgentHealth.Unknown;
                agent.HealthReason = null;
            }
        }, ct);
        return refused is null ? StepResult.Done() : StepResult.Permanent(refused);
    }

    private static async Task<StepResult> BootstrapAsync(
        StepContext context, BmcDrivers drivers, Func<SecretProtector> secrets, AgentCertificateAuthority ca, ProvisioningSettings settings, TimeProvider time, CancellationToken ct)
    {
        string? problem = null;
        NodeRow? node = null;
        string? imageName = null;
        await context.WriteAsync(async (db, token) =>
        {
            node = await db.Nodes.AsNoTracking().SingleAsync(n => n.Name == NodeName(context), token);
            imageName = node.Image ?? settings.DefaultImage;
            if (await db.NodeBoots.AnyAsync(b => b.RunId == context.RunId, token))
            {
                return; // prepared by an earlier execution of this step
            }
            var image = imageName is null ? null : await db.Images.AsNoTracking().FirstOrDefaultAsync(i => i.Name == imageName, token);
            if (image is null)
            {
                problem = imageName is null
                    ? $"node {node.Name} has no image: set its spec.image or the server's Provisioning:DefaultImage"
                    : $"image '{imageName}' is not in the catalog";
                return;
            }
            await ca.EnsureAsync(token);
            var now = time.GetUtcNow();
            var (bootstrapToken, tokenRow) = BootstrapTokens.Issue(node.Id, context.RunId, now, settings.BootstrapTokenLifetime);
            var seed = CloudInitRenderer.Render(new SeedInput(node.Name, context.RunId, image.Name, image.Url, image.Sha256, settings.PhoneHome(node.Name),
                new AgentConfig { Node = node.Name, ControlPlane = settings.AgentEndpoint(), BootstrapToken = bootstrapToken, CaCertificate = ca.CertificatePem }));
            await db.NodeBoots.Where(b => b.NodeId == node.Id).ExecuteDeleteAsync(token);
            db.BootstrapTokens.Add(tokenRow);
            db.NodeBoots.Add(new NodeBootRow
            {
                NodeId = node.Id,
                RunId = context.RunId,
                Image = image.Name,
                UserDataSealed = secrets().Seal(SealPurpose, seed.UserData),
                MetaData = seed.MetaData,
                NetworkConfig = seed.NetworkConfig,
                CreatedAt = now,
            });
        }, ct);
        if (problem is not null)
        {
            return StepResult.Permanent(problem);
        }
        var endpoint = Endpoint(node!, secrets);
        try
        {
            var driver = drivers.For(endpoint.Address);
            await driver.SetBootOverrideAsync(endpoint, BootTarget.Pxe, once: true, ct);
            var system = await driver.GetSystemAsync(endpoint, ct);
            await driver.ResetAsync(endpoint, system.Power == PowerState.On ? ResetKind.ForceRestart : ResetKind.On, ct);
            return StepResult.Done(new JsonObject { ["image"] = imageName, ["boot"] = "pxe", ["powerWas"] = system.Power.ToString() });
        }
        catch (BmcException ex)
        {
            return ex.IsTransient ? StepResult.Transient(ex.Message) : StepResult.Permanent(ex.Message);
        }
    }

    /// <summary>Undoes bootstrap: the token can no longer be spent, certificates issued with it are refused, and the
    /// node is powered off (best effort: the BMC may be what failed).</summary>
    private static async Task VoidAsync(StepContext context, BmcDrivers drivers, Func<SecretProtector> secrets, TimeProvider time, CancellationToken ct)
    {
        NodeRow? node = null;
        await context.WriteAsync(async (db, token) =>
        {
            node = await db.Nodes.AsNoTracking().SingleAsync(n => n.Name == NodeName(context), token);
            var now = time.GetUtcNow();
            await db.BootstrapTokens.Where(t => t.RunId == context.RunId && t.ExpiresAt > now).ExecuteUpdateAsync(s => s.SetProperty(t => t.ExpiresAt, now), token);
            var agent = await db.NodeAgents.FirstOrDefaultAsync(a => a.NodeId == node.Id, token);
            if (agent is not null)
            {
                agent.CertificateSerial = agent.PreviousCertificateSerial = null;
                agent.CertificateNotAfter = null;
            }
        }, ct);
        var endpoint = Endpoint(node!, secrets);
        try
        {
            await drivers.For(endpoint.Address).ResetAsync(endpoint, ResetKind.ForceOff, ct);
        }
        catch (BmcException)
        {
            // The node's state says Failed either way; an operator powers it off by hand if its BMC is gone.
        }
    }

    private static async Task<StepResult> RegisterAsync(StepContext context, ProvisioningSettings settings, TimeProvider time, CancellationToken ct)
    {
        StepResult? result = null;
        await context.WriteAsync(async (db, token) =>
        {
            var node = await db.Nodes.SingleAsync(n => n.Name == NodeName(context), token);
            var boot = await db.NodeBoots.AsNoTracking().SingleAsync(b => b.RunId == context.RunId, token);
            var agent = await db.NodeAgents.AsNoTracking().SingleAsync(a => a.NodeId == node.Id, token);
            if (boot.FailedStage is { } stage)
            {
                result = StepResult.Permanent($"the node reported its {stage} stage failed: {boot.FailureReason}");
            }
            else if (agent.RevokedAt is not null)
            {
                result = StepResult.Permanent("the node's agent was revoked during provisioning");
            }
            else if (agent.RegisteredAt is null || agent.RegisteredAt < boot.CreatedAt)
            {
                result = StepResult.WaitFor("the node agent to register", settings.PollInterval);
            }
            else if (agent.Health != AgentHealth.Green)
            {
                result = StepResult.Permanent($"the agent registered but the node is {agent.Health}: {agent.HealthReason}");
            }
            else
            {
                NodeTransitions.Move(db, node, NodeState.Ready, time.GetUtcNow(), context.RunId);
                result = StepResult.Done(new JsonObject { ["registeredAt"] = agent.RegisteredAt, ["health"] = agent.Health });
            }
        }, ct);
        return result!;
    }

    private static BmcEndpoint Endpoint(NodeRow node, Func<SecretProtector> secrets) =>
        new(new Uri(node.BmcAddress), node.BmcUsername, secrets().Open(Inventory.NodeKind.BmcPasswordPurpose, node.BmcPasswordSealed));

    private static string NodeName(StepContext context) => context.Input!["node"]!.GetValue<string>();
}
