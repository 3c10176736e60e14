namespace Dflare.Core.Placement;

/// <summary>
/// The free nodes of a fleet, indexed by topology so that a decision costs O(groups + nodes taken), not O(fleet):
/// free counts per (rack | Ethernet leaf | hop group, SKU) are kept up to date as nodes are allocated and released.
/// A hop group is the InfiniBand leaf a node reaches, or its Ethernet leaf when it has no InfiniBand.
/// Everything is ordered by ordinal name, so equal inputs give equal decisions.
/// </summary>
public sealed class FleetIndex
{
    internal enum GroupKind { Rack, Leaf, InfinibandLeaf, HopGroup }

    private static readonly GroupKind[] Kinds = [GroupKind.Rack, GroupKind.Leaf, GroupKind.InfinibandLeaf, GroupKind.HopGroup];

    private readonly PlacementNode[] _nodes;
    private readonly Dictionary<string, int> _byName;
    private readonly bool[] _free;
    private readonly int[] _skuOf;
    private readonly string[] _skus;
    private readonly int[] _freeBySku;
    private readonly PlacementNode[] _skuNodes;
    private readonly Group[][] _groups;
    private readonly int[][] _groupOf;

    public FleetIndex(IEnumerable<PlacementNode> nodes)
    {
        _nodes = [.. nodes.OrderBy(n => n.Name, StringComparer.Ordinal)];
        _byName = new Dictionary<string, int>(_nodes.Length, StringComparer.Ordinal);
        for (var i = 0; i < _nodes.Length; i++)
        {
            if (!_byName.TryAdd(_nodes[i].Name, i))
            {
                throw new ArgumentException($"Node '{_nodes[i].Name}' appears twice.", nameof(nodes));
            }
        }
        _skus = [.. _nodes.Select(n => n.Sku).Distinct().Order(StringComparer.Ordinal)];
        var skuIndex = _skus.Select((s, i) => (s, i)).ToDictionary(x => x.s, x => x.i, StringComparer.Ordinal);
        _skuOf = [.. _nodes.Select(n => skuIndex[n.Sku])];
        // A SKU is one hardware model: any of its nodes tells its GPU model and MIG capability.
        _skuNodes = [.. _skus.Select(s => _nodes.First(n => n.Sku == s))];
        _free = [.. _nodes.Select(_ => true)];
        _freeBySku = new int[_skus.Length];
        foreach (var sku in _skuOf)
        {
            _freeBySku[sku]++;
        }
        _groups = new Group[Kinds.Length][];
        _groupOf = new int[Kinds.Length][];
        foreach (var kind in Kinds)
        {
            var keys = _nodes.Select(n => KeyOf(n, kind)).ToArray();
            var names = keys.Where(k => k is not null).Distinct().Order(StringComparer.Ordinal).ToArray();
            var index = names.Select((k, i) => (k, i)).ToDictionary(x => x.k!, x => x.i, StringComparer.Ordinal);
            var groups = names.Select(n => new Group(n!, _skus.Length)).ToArray();
            var of = new int[_nodes.Length];
            for (var i = 0; i < _nodes.Length; i++)
            {
                of[i] = keys[i] is { } key ? index[key] : -1;
                if (of[i] >= 0)
                {
                    groups[of[i]].Members.Add(i);
                    groups[of[i]].Free[_skuOf[i]]++;
                }
            }
            _groups[(int)kind] = groups;
            _groupOf[(int)kind] = of;
        }
    }

    public int Count => _nodes.Length;

    public int FreeCount => _freeBySku.Sum();

    public IReadOnlyList<PlacementNode> Nodes => _nodes;

    public bool IsFree(string node) => _byName.TryGetValue(node, out var i) && _free[i];

    public void Allocate(IEnumerable<string> nodes) => Mark(nodes, free: false);

    public void Release(IEnumerable<string> nodes) => Mark(nodes, free: true);

    private void Mark(IEnumerable<string> nodes, bool free)
    {
        foreach (var name in nodes)
        {
            var i = _byName[name];
            if (_free[i] == free)
            {
                throw new InvalidOperationException($"Node '{name}' is already {(free ? "free" : "allocated")}.");
            }
            _free[i] = free;
            var delta = free ? 1 : -1;
            _freeBySku[_skuOf[i]] += delta;
            for (var k = 0; k < Kinds.Length; k++)
            {
                if (_groupOf[k][i] is var g and >= 0)
                {
                    _groups[k][g].Free[_skuOf[i]] += delta;
                }
            }
        }
    }

    internal static string? KeyOf(PlacementNode node, GroupKind kind) => kind switch
    {
        GroupKind.Rack => node.Rack,
        GroupKind.Leaf => node.Leaf,
        GroupKind.InfinibandLeaf => node.InfinibandLeaf,
        _ => node.InfinibandLeaf ?? node.Leaf ?? node.Rack,
    };

    internal PlacementNode Node(int i) => _nodes[i];

    internal bool Free(int i) => _free[i];

    internal int SkuOf(int i) => _skuOf[i];

    internal IReadOnlyList<string> Skus => _skus;

    internal int FreeOfSku(int sku) => _freeBySku[sku];

    /// <summary>A node of the SKU, standing for its model.</summary>
    internal PlacementNode SkuSample(int sku) => _skuNodes[sku];

    internal IReadOnlyList<Group> Groups(GroupKind kind) => _groups[(int)kind];

    internal int GroupOf(GroupKind kind, int node) => _groupOf[(int)kind][node];

    /// <summary>A rack, leaf or hop group: its nodes by name and its free count per SKU.</summary>
    internal sealed class Group(string name, int skus)
    {
        public string Name { get; } = name;

        public List<int> Members { get; } = [];

        public int[] Free { get; } = new int[skus];
    }
}
