using System.Text.Json;

namespace Dflare.Core.Network;

/// <summary>
/// The embedded default: a fabric held in memory, leaf by leaf, as a switch's running configuration would be. It can
/// be changed behind the control plane's back (<see cref="RemoveSegment"/>, <see cref="ReplaceAcl"/>), which is how
/// drift is exercised without hardware.
/// </summary>
public sealed class SimulatedFabricDriver : IFabricDriver
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Dictionary<string, SegmentIntent>> _segments = new(StringComparer.Ordinal);
    private Dictionary<string, string> _elements = new(StringComparer.Ordinal);

    public Task ApplyAsync(FabricIntent intent, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _elements = Elements(intent);
            _segments.Clear();
            foreach (var leaf in intent.Leaves)
            {
                _segments[leaf.Name] = intent.Segments.ToDictionary(s => s.Name, StringComparer.Ordinal);
            }
        }
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<FabricDrift>> DiffAsync(FabricIntent intent, CancellationToken cancellationToken)
    {
        var drift = new List<FabricDrift>();
        lock (_gate)
        {
            var wanted = Elements(intent);
            foreach (var (key, value) in wanted)
            {
                if (!_elements.TryGetValue(key, out var held))
                {
                    drift.Add(Drift(key, "missing"));
                }
                else if (held != value)
                {
                    drift.Add(Drift(key, "differs from the intent"));
                }
            }
            drift.AddRange(_elements.Keys.Where(k => !wanted.ContainsKey(k)).Select(k => Drift(k, "not in the intent")));
            foreach (var leaf in intent.Leaves)
            {
                var held = _segments.GetValueOrDefault(leaf.Name) ?? [];
                foreach (var segment in intent.Segments)
                {
                    if (!held.TryGetValue(segment.Name, out var present))
                    {
                        drift.Add(new FabricDrift("segment", $"{segment.Name}@{leaf.Name}", $"VLAN {segment.VlanByLeaf.GetValueOrDefault(leaf.Name)} / VNI {segment.L2Vni} is missing on the leaf"));
                    }
                    else if (JsonSerializer.Serialize(present.Ingress) != JsonSerializer.Serialize(segment.Ingress) || present.IngressDefaultAllow != segment.IngressDefaultAllow)
                    {
                        drift.Add(new FabricDrift("acl", $"{segment.Name}@{leaf.Name}", "the ingress ACL differs from the intent"));
                    }
                    else if (JsonSerializer.Serialize(present) != JsonSerializer.Serialize(segment))
                    {
                        drift.Add(new FabricDrift("segment", $"{segment.Name}@{leaf.Name}", "differs from the intent"));
                    }
                }
            }
        }
        return Task.FromResult<IReadOnlyList<FabricDrift>>(drift);
    }

    /// <summary>As an engineer deleting a VLAN on one switch by hand.</summary>
    public void RemoveSegment(string leaf, string segment)
    {
        lock (_gate)
        {
            _segments.GetValueOrDefault(leaf)?.Remove(segment);
        }
    }

    /// <summary>As an engineer editing a segment's ACL on one switch by hand.</summary>
    public void ReplaceAcl(string leaf, string segment, IReadOnlyList<AclRuleIntent> rules, bool defaultAllow)
    {
        lock (_gate)
        {
            if (_segments.GetValueOrDefault(leaf) is { } held && held.TryGetValue(segment, out var present))
            {
                held[segment] = present with { Ingress = rules, IngressDefaultAllow = defaultAllow };
            }
        }
    }

    /// <summary>The segments a leaf holds now (what <c>show vlan</c> would list).</summary>
    public IReadOnlyList<string> SegmentsOn(string leaf)
    {
        lock (_gate)
        {
            return _segments.TryGetValue(leaf, out var held) ? [.. held.Keys.Order(StringComparer.Ordinal)] : [];
        }
    }

    private static FabricDrift Drift(string key, string problem)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        return new FabricDrift(key[..slash], key[(slash + 1)..], problem);
    }

    private static Dictionary<string, string> Elements(FabricIntent intent)
    {
        var elements = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var vrf in intent.Vrfs)
        {
            elements[$"vrf/{vrf.Name}"] = JsonSerializer.Serialize(vrf);
        }
        foreach (var port in intent.Ports)
        {
            elements[$"port/{port.Node}.{port.Nic}@{port.Leaf}"] = JsonSerializer.Serialize(port);
        }
        foreach (var partition in intent.Partitions)
        {
            elements[$"partition/{partition.Name}"] = JsonSerializer.Serialize(partition);
        }
        return elements;
    }
}
