namespace Dflare.Core.Placement;

/// <summary>A node placement may hand out: where it sits in the topology and what it carries.</summary>
/// <remarks><c>InfinibandLeaf</c>: The InfiniBand leaf switch its HCAs reach; null on nodes without InfiniBand.</remarks>
public sealed record PlacementNode(string Name, string Rack, string? Leaf, string? InfinibandLeaf, string Sku, string GpuModel, int Gpus, bool MigCapable);

/// <summary>How a pool's nodes must sit relative to each other.</summary>
public enum PlacementConstraint
{
    /// <summary>Fewest InfiniBand (or Ethernet) leaf groups: one group when the pool fits in one.</summary>
    Packed,

    /// <summary>All under one rack.</summary>
    SameRack,

    /// <summary>All on one Ethernet leaf.</summary>
    SameLeaf,

    /// <summary>All on one InfiniBand leaf (one hop between any two nodes).</summary>
    SameInfinibandLeafGroup,

    /// <summary>Across as many racks as possible (failure domains), round-robin.</summary>
    Spread,
}

/// <summary>One node pool of a request: a SKU (or any SKU of a GPU model), how many nodes, how they sit.</summary>
public sealed record PoolRequest(string Name, string? Sku, string? GpuModel, int Count, PlacementConstraint Constraint, bool NeedsMig = false);

/// <summary>A gang: every pool is placed, or none is.</summary>
public sealed record PlacementRequest(string Tenant, IReadOnlyList<PoolRequest> Pools);

/// <summary>What placement decided: the nodes of each pool, or why the request does not fit now.</summary>
public sealed record PlacementDecision(IReadOnlyDictionary<string, IReadOnlyList<string>>? Nodes, string? Reason)
{
    public bool Placed => Nodes is not null;

    public static PlacementDecision Refused(string reason) => new(null, reason);
}
