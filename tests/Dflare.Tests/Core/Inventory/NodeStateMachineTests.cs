using CsCheck;
using Dflare.Core.Inventory;

namespace Dflare.Tests.Core.Inventory;

public sealed class NodeStateMachineTests
{
    [Fact]
    public void TheProvisioningPath_IsAllowed()
    {
        NodeState[] path = [NodeState.Enrolled, NodeState.Inspecting, NodeState.Available, NodeState.Provisioning, NodeState.Ready,
            NodeState.Allocated, NodeState.Draining, NodeState.Provisioning, NodeState.Ready];

        Assert.All(path.Zip(path.Skip(1)), move => Assert.True(NodeStateMachine.CanMove(move.First, move.Second), $"{move.First} -> {move.Second}"));
    }

    [Theory]
    [InlineData(NodeState.Enrolled, NodeState.Ready)]
    [InlineData(NodeState.Available, NodeState.Allocated)]
    [InlineData(NodeState.Allocated, NodeState.Available)]
    [InlineData(NodeState.Allocated, NodeState.Decommissioned)]
    [InlineData(NodeState.Decommissioned, NodeState.Enrolled)]
    public void ShortCuts_AreRefused_WithTheAllowedMovesNamed(NodeState from, NodeState to)
    {
        var error = Assert.Throws<InvalidNodeTransitionException>(() => NodeStateMachine.EnsureCanMove("r1-n01", from, to));

        Assert.Contains($"from {from} to {to}", error.Message, StringComparison.Ordinal);
        Assert.False(error.IsTransient);
    }

    [Fact]
    public void AnAllocatedNode_CanOnlyLeaveThroughDrainingOrFailure()
    {
        Assert.Equal([NodeState.Draining, NodeState.Failed], NodeStateMachine.NextStates(NodeState.Allocated));
    }

    [Fact]
    public void RandomWalks_NeverLeaveDecommissioned_AndEveryStateCanReachDecommissioned()
    {
        Gen.Int[0, 9].Array[1, 40].Sample(choices =>
        {
            var state = NodeState.Enrolled;
            foreach (var choice in choices)
            {
                var next = NodeStateMachine.NextStates(state);
                if (next.Count == 0)
                {
                    Assert.Equal(NodeState.Decommissioned, state);
                    return;
                }
                state = next[choice % next.Count];
            }
        });
        Assert.All(Enum.GetValues<NodeState>(), state => Assert.True(Reaches(state, NodeState.Decommissioned, []), $"{state} cannot be decommissioned"));
    }

    [Fact]
    public void StateNames_AreFrozen()
    {
        Assert.Equal(
            ["Enrolled", "Inspecting", "Available", "Provisioning", "Ready", "Allocated", "Draining", "Maintenance", "Failed", "Decommissioned"],
            Enum.GetNames<NodeState>());
    }

    private static bool Reaches(NodeState from, NodeState target, HashSet<NodeState> seen) =>
        from == target || (seen.Add(from) && NodeStateMachine.NextStates(from).Any(next => Reaches(next, target, seen)));
}
