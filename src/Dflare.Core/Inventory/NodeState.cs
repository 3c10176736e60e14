namespace Dflare.Core.Inventory;

/// <summary>Where a node is in its life. Stored by name; a name never changes meaning.</summary>
public enum NodeState
{
    /// <summary>Known to the inventory (enrolled one by one, from a manifest, or discovered); not yet inspected.</summary>
    Enrolled,

    /// <summary>Its BMC is being read: hardware inventory checked against the expected SKU.</summary>
    Inspecting,

    /// <summary>Inspected and healthy; no image on it yet.</summary>
    Available,

    /// <summary>Powering on, PXE, golden image, cloud-init, agent registration.</summary>
    Provisioning,

    /// <summary>Agent registered; can be given to a cluster.</summary>
    Ready,

    /// <summary>Part of a tenant's cluster.</summary>
    Allocated,

    /// <summary>Leaving its cluster: workloads drained, then wiped.</summary>
    Draining,

    /// <summary>Taken out by an operator.</summary>
    Maintenance,

    /// <summary>A step failed or health checks fail; waits for an operator or remediation.</summary>
    Failed,

    /// <summary>Gone for good. Terminal.</summary>
    Decommissioned,
}

/// <summary>
/// The node state machine, declared once: every state change a workflow step makes goes through
/// <see cref="CanMove"/>, and the table below is the only place transitions are allowed.
/// </summary>
public static class NodeStateMachine
{
    private static readonly Dictionary<NodeState, NodeState[]> Allowed = new()
    {
        [NodeState.Enrolled] = [NodeState.Inspecting, NodeState.Maintenance, NodeState.Decommissioned],
        [NodeState.Inspecting] = [NodeState.Available, NodeState.Failed],
        [NodeState.Available] = [NodeState.Provisioning, NodeState.Inspecting, NodeState.Maintenance, NodeState.Decommissioned],
        [NodeState.Provisioning] = [NodeState.Ready, NodeState.Failed],
        [NodeState.Ready] = [NodeState.Allocated, NodeState.Provisioning, NodeState.Maintenance, NodeState.Failed],
        [NodeState.Allocated] = [NodeState.Draining, NodeState.Failed],
        // A drained node is wiped and re-provisioned (back to Ready), or set aside.
        [NodeState.Draining] = [NodeState.Provisioning, NodeState.Maintenance, NodeState.Failed],
        [NodeState.Maintenance] = [NodeState.Inspecting, NodeState.Decommissioned],
        [NodeState.Failed] = [NodeState.Inspecting, NodeState.Maintenance, NodeState.Decommissioned],
        [NodeState.Decommissioned] = [],
    };

    public static bool CanMove(NodeState from, NodeState to) => Allowed[from].Contains(to);

    public static IReadOnlyList<NodeState> NextStates(NodeState from) => Allowed[from];

    /// <summary>Throws <see cref="InvalidNodeTransitionException"/> for a move the table does not allow.</summary>
    public static void EnsureCanMove(string node, NodeState from, NodeState to)
    {
        if (!CanMove(from, to))
        {
            throw new InvalidNodeTransitionException(node, from, to);
        }
    }
}

public sealed class InvalidNodeTransitionException(string node, NodeState from, NodeState to)
    : DflareException($"Node {node} cannot move from {from} to {to}; from {from} it may move to {string.Join(", ", NodeStateMachine.NextStates(from))}.", isTransient: false)
{
    public NodeState From { get; } = from;

    public NodeState To { get; } = to;
}
