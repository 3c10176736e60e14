using System.Text.Json;
using System.Text.Json.Nodes;
using Dflare.Core.Inventory;
using Dflare.Core.Provisioning.Bmc;
using Dflare.Core.Secrets;
using Dflare.Core.Workflows;
using Dflare.Persistence.Inventory;
using Microsoft.EntityFrameworkCore;

namespace Dflare.Core.Provisioning;

/// <summary>
/// Inspection: read a node's hardware through its BMC and check it against its SKU. Enrolled (or failed, or under
/// maintenance) → Inspecting → Available with its GPUs recorded; any permanent failure leaves the node Failed, with
/// the reason on the operation. One inspection per node at a time.
/// </summary>
public static class InspectNodeWorkflow
{
    public const string Name = "inspect-node";

    public static string Target(string node) => $"node/{node}";

    public static WorkflowDefinition Create(BmcDrivers drivers, Func<SecretProtector> secrets, RetryPolicy bmcRetry, TimeProvider time) => new()
    {
        Name = Name,
        SingleActivePerTarget = true,
        Steps =
        [
            new StepDefinition
            {
                Name = "begin",
                Execute = async (context, ct) =>
                {
                    string? refused = null;
                    await context.WriteAsync(async (db, token) =>
                    {
                        var node = await db.Nodes.SingleAsync(n => n.Name == NodeName(context), token);
                        var state = Enum.Parse<NodeState>(node.State);
                        if (state != NodeState.Inspecting && !NodeStateMachine.CanMove(state, NodeState.Inspecting))
                        {
                            refused = $"node {node.Name} is {state}; it can be inspected only when Enrolled, Available, Failed or under Maintenance";
                            return;
                        }
                        if (state != NodeState.Inspecting)
                        {
                            NodeTransitions.Move(db, node, NodeState.Inspecting, time.GetUtcNow(), context.RunId);
                        }
                    }, ct);
                    return refused is null ? StepResult.Done() : StepResult.Permanent(refused);
                },
                // A failed inspection leaves the node Failed, with the reason on the operation.
                Compensate = (context, ct) => NodeFailure.FailAsync(context, time, NodeName(context), NodeState.Inspecting, "inspection", ct),
            },
            new StepDefinition
            {
                Name = "read-bmc",
                Retry = bmcRetry,
                Execute = async (context, ct) =>
                {
                    NodeRow? node = null;
                    await context.WriteAsync(async (db, token) => node = await db.Nodes.AsNoTracking().SingleAsync(n => n.Name == NodeName(context), token), ct);
                    var endpoint = new BmcEndpoint(new Uri(node!.BmcAddress), node.BmcUsername, secrets().Open(NodeKind.BmcPasswordPurpose, node.BmcPasswordSealed));
                    try
                    {
                        var system = await drivers.For(endpoint.Address).GetSystemAsync(endpoint, ct);
                        return StepResult.Done(JsonSerializer.SerializeToNode(system));
                    }
                    catch (BmcException ex)
                    {
                        return ex.IsTransient ? StepResult.Transient(ex.Message) : StepResult.Permanent(ex.Message);
                    }
                },
            },
            new StepDefinition
            {
                Name = "check-sku",
                Execute = async (context, ct) =>
                {
                    var system = context.Outputs["read-bmc"].Deserialize<BmcSystem>()!;
                    SkuRow? sku = null;
                    await context.WriteAsync(async (db, token) =>
                    {
                        var node = await db.Nodes.AsNoTracking().SingleAsync(n => n.Name == NodeName(context), token);
                        sku = await db.Skus.AsNoTracking().SingleAsync(s => s.Name == node.Sku, token);
                    }, ct);
                    var matching = system.Gpus.Count(g => g.Model == sku!.GpuModel);
                    return matching == sku!.GpuCount && system.Gpus.Count == sku.GpuCount
                        ? StepResult.Done()
                        : StepResult.Permanent($"SKU {sku.Name} expects {sku.GpuCount} × {sku.GpuModel}; the BMC reports {system.Gpus.Count} GPU(s): " +
                            string.Join(", ", system.Gpus.GroupBy(g => g.Model).Select(g => $"{g.Count()} × {g.Key}")));
                },
            },
            new StepDefinition
            {
                Name = "record",
                Execute = async (context, ct) =>
                {
                    var system = context.Outputs["read-bmc"].Deserialize<BmcSystem>()!;
                    await context.WriteAsync(async (db, token) =>
                    {
                        var node = await db.Nodes.SingleAsync(n => n.Name == NodeName(context), token);
                        await db.NodeGpus.Where(g => g.NodeId == node.Id).ExecuteDeleteAsync(token);
                        db.NodeGpus.AddRange(system.Gpus.Select((g, i) => new NodeGpuRow { NodeId = node.Id, Index = i, Slot = g.Id, Model = g.Model, SerialNumber = g.SerialNumber }));
                        NodeTransitions.Move(db, node, NodeState.Available, time.GetUtcNow(), context.RunId);
                    }, ct);
                    return StepResult.Done(new JsonObject { ["gpus"] = system.Gpus.Count, ["serialNumber"] = system.SerialNumber });
                },
            },
        ],
    };

    private static string NodeName(StepContext context) => context.Input!["node"]!.GetValue<string>();
}
