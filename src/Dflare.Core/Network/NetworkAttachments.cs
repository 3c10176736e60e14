using System.Text.Json.Nodes;
using Dflare.Core.Resources;
using Dflare.Core.Workflows;
using Dflare.Persistence.Network;
using Dflare.Persistence.Store;
using Microsoft.EntityFrameworkCore;

namespace Dflare.Core.Network;

/// <summary>
/// Putting a node NIC on a subnet and taking it off, as workflow steps (provisioning and clusters use them; the API
/// offers them to operators): IPAM gives the NIC the subnet's lowest free address, the node's HCA GUIDs join the
/// tenant's InfiniBand partition when the VPC has one, and the step completes once the fabric carries the port.
/// </summary>
public static class NetworkAttachments
{
    public const string AttachWorkflow = "attach-network";
    public const string DetachWorkflow = "detach-network";

    /// <summary>Records the attachment with its address (idempotent: an existing one is returned as it is).</summary>
    public static async Task<NetworkAttachmentRow> AttachAsync(
        DflareDbContext db, Guid subnetId, string node, string nic, string leaf, string port, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // Serializes address choice within the subnet (the unique index on (subnet, address) is the backstop).
        await db.Subnets.Where(s => s.Id == subnetId).ExecuteUpdateAsync(s => s.SetProperty(x => x.UpdatedAt, x => x.UpdatedAt), cancellationToken);
        var existing = await db.NetworkAttachments.AsNoTracking().FirstOrDefaultAsync(a => a.SubnetId == subnetId && a.Node == node, cancellationToken);
        if (existing is not null)
        {
            return existing;
        }
        var subnet = await db.Subnets.AsNoTracking().FirstAsync(s => s.Id == subnetId, cancellationToken);
        var used = await db.NetworkAttachments.AsNoTracking().Where(a => a.SubnetId == subnetId).Select(a => new { a.Address, a.Ipv6Address }).ToListAsync(cancellationToken);
        var cidr = IpBlock.Parse(subnet.Cidr);
        var address = SubnetAddressing.NextFree(cidr, used.Select(u => IpBlock.ToNumber(System.Net.IPAddress.Parse(u.Address))).ToHashSet())
            ?? throw new ResourceConflictException("pool-exhausted", "The subnet is full.", $"Subnet '{subnet.Name}' ({subnet.Cidr}) has no free address; detach a node or use a larger subnet.");
        string? ipv6 = null;
        if (subnet.Ipv6Cidr is not null)
        {
            var v6 = IpBlock.Parse(subnet.Ipv6Cidr);
            ipv6 = SubnetAddressing.NextFree(v6, used.Where(u => u.Ipv6Address != null).Select(u => IpBlock.ToNumber(System.Net.IPAddress.Parse(u.Ipv6Address!))).ToHashSet())!.ToString();
        }
        var row = new NetworkAttachmentRow
        {
            Id = Guid.CreateVersion7(now), SubnetId = subnetId, Node = node, Nic = nic, Leaf = leaf, Port = port, Address = address.ToString(),
            Ipv6Address = ipv6, CreatedAt = now,
        };
        db.NetworkAttachments.Add(row);
        var vpc = await db.Vpcs.AsNoTracking().FirstAsync(v => v.Id == subnet.VpcId, cancellationToken);
        if (vpc.InfinibandFabricId is { } infinibandId)
        {
            var infiniband = await db.Fabrics.AsNoTracking().FirstAsync(f => f.Id == infinibandId, cancellationToken);
            var partition = await Partitions.EnsureAsync(db, vpc.TenantId, infinibandId, now, cancellationToken);
            var present = await db.PartitionMembers.Where(m => m.PartitionId == partition.Id).Select(m => m.PortGuid).ToListAsync(cancellationToken);
            foreach (var hca in (FabricKind.SpecOf(infiniband).Hcas ?? []).Where(h => h.Node == node && !present.Contains(h.PortGuid!)))
            {
                db.PartitionMembers.Add(new PartitionMemberRow { Id = Guid.CreateVersion7(now), PartitionId = partition.Id, PortGuid = hca.PortGuid!.ToLowerInvariant(), Node = node, Membership = "Full" });
            }
        }
        await db.SaveChangesAsync(cancellationToken);
        return row;
    }

    /// <summary>Removes the attachment, and the node's partition membership once it has no other attachment in a VPC of
    /// the tenant on that InfiniBand fabric. Idempotent.</summary>
    public static async Task DetachAsync(DflareDbContext db, Guid subnetId, string node, CancellationToken cancellationToken)
    {
        var subnet = await db.Subnets.AsNoTracking().FirstOrDefaultAsync(s => s.Id == subnetId, cancellationToken);
        await db.NetworkAttachments.Where(a => a.SubnetId == subnetId && a.Node == node).ExecuteDeleteAsync(cancellationToken);
        if (subnet is null)
        {
            return;
        }
        var vpc = await db.Vpcs.AsNoTracking().FirstAsync(v => v.Id == subnet.VpcId, cancellationToken);
        if (vpc.InfinibandFabricId is not { } infinibandId)
        {
            return;
        }
        var stillAttached = await (from a in db.NetworkAttachments
                                   join s in db.Subnets on a.SubnetId equals s.Id
                                   join v in db.Vpcs on s.VpcId equals v.Id
                                   where a.Node == node && v.TenantId == vpc.TenantId && v.InfinibandFabricId == infinibandId
                                   select a.Id).AnyAsync(cancellationToken);
        if (!stillAttached)
        {
            await db.PartitionMembers.Where(m => m.Node == node && db.Partitions.Any(p => p.Id == m.PartitionId && p.TenantId == vpc.TenantId && p.FabricId == infinibandId))
                .ExecuteDeleteAsync(cancellationToken);
        }
    }

    /// <summary>The fabrics a subnet's ports and partition live on (the Ethernet fabric first).</summary>
    private static async Task<IReadOnlyList<string>> FabricsOfAsync(DflareDbContext db, Guid vpcId, CancellationToken cancellationToken)
    {
        var vpc = await db.Vpcs.AsNoTracking().FirstOrDefaultAsync(v => v.Id == vpcId, cancellationToken);
        if (vpc is null)
        {
            return [];
        }
        var ids = new[] { vpc.FabricId, vpc.InfinibandFabricId ?? Guid.Empty };
        return await db.Fabrics.AsNoTracking().Where(f => ids.Contains(f.Id)).OrderBy(f => f.Type).Select(f => f.Name).ToListAsync(cancellationToken);
    }

    public static WorkflowDefinition CreateAttach(NetworkSync sync, TimeProvider time) => new()
    {
        Name = AttachWorkflow,
        Steps =
        [
            new StepDefinition
            {
                Name = "address",
                Execute = async (context, ct) =>
                {
                    var input = context.Input!;
                    var subnetId = Guid.Parse(input["subnet"]!.GetValue<string>());
                    NetworkAttachmentRow? row = null;
                    try
                    {
                        await context.WriteAsync(async (db, token) =>
                        {
                            if (await db.Subnets.AnyAsync(s => s.Id == subnetId, token))
                            {
                                row = await AttachAsync(db, subnetId, input["node"]!.GetValue<string>(), input["nic"]!.GetValue<string>(),
                                    input["leaf"]!.GetValue<string>(), input["port"]!.GetValue<string>(), time.GetUtcNow(), token);
                            }
                        }, ct);
                    }
                    catch (ResourceConflictException ex)
                    {
                        return StepResult.Permanent(ex.Message);
                    }
                    return row is null ? StepResult.Permanent("the subnet was deleted") : StepResult.Done(new JsonObject { ["address"] = row.Address, ["ipv6Address"] = row.Ipv6Address });
                },
                Compensate = async (context, ct) =>
                {
                    var subnetId = Guid.Parse(context.Input!["subnet"]!.GetValue<string>());
                    await context.WriteAsync((db, token) => DetachAsync(db, subnetId, context.Input!["node"]!.GetValue<string>(), token), ct);
                },
            },
            FabricStep(sync),
        ],
    };

    public static WorkflowDefinition CreateDetach(NetworkSync sync) => new()
    {
        Name = DetachWorkflow,
        Steps =
        [
            new StepDefinition
            {
                Name = "release",
                Execute = async (context, ct) =>
                {
                    var subnetId = Guid.Parse(context.Input!["subnet"]!.GetValue<string>());
                    await context.WriteAsync((db, token) => DetachAsync(db, subnetId, context.Input!["node"]!.GetValue<string>(), token), ct);
                    return StepResult.Done();
                },
            },
            FabricStep(sync),
        ],
    };

    /// <summary>Completes once every fabric of the subnet's VPC carries the change.</summary>
    private static StepDefinition FabricStep(NetworkSync sync) => new()
    {
        Name = "fabric",
        Execute = async (context, ct) =>
        {
            var vpcId = Guid.Parse(context.Input!["vpc"]!.GetValue<string>());
            IReadOnlyList<string> fabrics = [];
            await context.WriteAsync(async (db, token) => fabrics = await FabricsOfAsync(db, vpcId, token), ct);
            try
            {
                foreach (var fabric in fabrics)
                {
                    await sync.SyncAsync(fabric, reconciling: false, ct);
                }
            }
            catch (FabricDriverException ex)
            {
                return ex.IsTransient ? StepResult.Transient(ex.Message) : StepResult.Permanent(ex.Message);
            }
            return StepResult.Done(new JsonObject { ["fabrics"] = new JsonArray([.. fabrics.Select(f => (JsonNode)f)]) });
        },
    };
}
