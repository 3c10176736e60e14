using Dflare.Persistence.Inventory;
using Dflare.Persistence.Store;

namespace Dflare.Core.Inventory;

/// <summary>
/// The one way a node's state changes: checked against <see cref="NodeStateMachine"/>, recorded in the node's history
/// with the reason and the operation, in the caller's transaction (a workflow step's fenced write).
/// </summary>
public static class NodeTransitions
{
    public static void Move(DflareDbContext db, NodeRow node, NodeState to, DateTimeOffset now, Guid? runId, string? reason = null)
    {
        var from = Enum.Parse<NodeState>(node.State);
        NodeStateMachine.EnsureCanMove(node.Name, from, to);
        node.State = to.ToString();
        node.StateReason = reason is null ? null : Truncate(reason);
        node.UpdatedAt = now;
        node.ResourceVersion++;
        db.NodeTransitions.Add(new NodeTransitionRow
        {
            Id = Guid.CreateVersion7(now),
            NodeId = node.Id,
            At = now,
            From = from.ToString(),
            To = to.ToString(),
            Reason = node.StateReason,
            RunId = runId,
        });
    }

    private static string Truncate(string reason) => reason.Length <= 1024 ? reason : reason[..1021] + "...";
}
