using Dflare.Core.Inventory;
using Dflare.Core.Workflows;
using Microsoft.EntityFrameworkCore;

namespace Dflare.Core.Provisioning;

/// <summary>The compensation shared by node workflows: a node left in the state it held during a failed run moves
/// to Failed, with the failed step's error as the reason.</summary>
internal static class NodeFailure
{
    public static Task FailAsync(StepContext context, TimeProvider time, string node, NodeState during, string what, CancellationToken cancellationToken) =>
        context.WriteAsync(async (db, token) =>
        {
            var row = await db.Nodes.SingleAsync(n => n.Name == node, token);
            if (row.State != during.ToString())
            {
                return;
            }
            var error = await db.WorkflowSteps.AsNoTracking().Where(s => s.RunId == context.RunId && s.LastError != null)
                .OrderByDescending(s => s.Index).Select(s => s.LastError).FirstOrDefaultAsync(token);
            NodeTransitions.Move(db, row, NodeState.Failed, time.GetUtcNow(), context.RunId, $"{what} failed: {error ?? "cancelled"}");
        }, cancellationToken);
}
