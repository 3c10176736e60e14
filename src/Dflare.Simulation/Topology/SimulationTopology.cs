using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dflare.Simulation.Topology;

/// <summary>
/// The shape of a simulated datacenter, from a JSON file (<c>Simulation:Topology</c>) or <see cref="Default"/>:
/// sites of racks of nodes with a SKU mix, the leaf-spine Ethernet fabric and the InfiniBand fat-tree (a leaf of
/// each per rack, spines above), the golden image, and faults to inject into named nodes.
/// </summary>
public sealed record SimulationTopology
{
    /// <summary>Makes serial numbers, SKU choice and boot-time jitter repeatable.</summary>
    public int Seed { get; init; } = 1;

    public IReadOnlyList<SimulatedSku> Skus { get; init; } = [];

    public IReadOnlyList<SimulatedSite> Sites { get; init; } = [];

    public SimulatedFabric Fabric { get; init; } = new();

    public SimulatedImage Image { get; init; } = new();

    /// <summary>Node name → faults, e.g. <c>{"sim-r2-n08": ["PxeFailure"]}</c>.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<NodeFault>> Faults { get; init; } = new Dictionary<string, IReadOnlyList<NodeFault>>();

    /// <summary>The embedded default: one site, 2 racks × 8 nodes × 8 H100 GPUs.</summary>
    public static SimulationTopology Default { get; } = new()
    {
        Skus = [new SimulatedSku()],
        Sites = [new SimulatedSite()],
    };

    public int NodeCount => Sites.Sum(s => s.Racks * s.NodesPerRack);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Converters = { new JsonStringEnumConverter<NodeFault>() },
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>Reads and checks a topology file; every problem is reported with the file and the field.</summary>
    public static SimulationTopology Load(string path)
    {
        SimulationTopology? topology;
        try
        {
            topology = JsonSerializer.Deserialize<SimulationTopology>(File.ReadAllText(path), Json);
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"Simulation topology '{path}' cannot be read: {ex.Message}", ex);
        }
        var errors = (topology ?? new SimulationTopology()).Check();
        return errors.Count == 0 ? topology! : throw new InvalidDataException($"Simulation topology '{path}': {string.Join("; ", errors)}");
    }

    public IReadOnlyList<string> Check()
    {
        var errors = new List<string>();
        if (Skus.Count == 0)
        {
            errors.Add("skus must name at least one SKU");
        }
        if (Sites.Count == 0)
        {
            errors.Add("sites must name at least one site");
        }
        var skuNames = Skus.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < Sites.Count; i++)
        {
            var site = Sites[i];
            if (site.Racks is < 1 or > 1000)
            {
                errors.Add($"sites[{i}].racks must be from 1 to 1000; it is {site.Racks}");
            }
            if (site.NodesPerRack is < 1 or > 64)
            {
                errors.Add($"sites[{i}].nodesPerRack must be from 1 to 64; it is {site.NodesPerRack}");
            }
            errors.AddRange(site.SkuMix.Keys.Where(k => !skuNames.Contains(k)).Select(k => $"sites[{i}].skuMix names '{k}', which is not in skus"));
            if (site.SkuMix.Values.Any(w => w <= 0))
            {
                errors.Add($"sites[{i}].skuMix weights must be positive");
            }
        }
        for (var i = 0; i < Skus.Count; i++)
        {
            if (Skus[i].Gpus is < 0 or > 16)
            {
                errors.Add($"skus[{i}].gpus must be from 0 to 16; it is {Skus[i].Gpus}");
            }
        }
        if (NodeCount > 20_000)
        {
            errors.Add($"at most 20000 nodes; this topology has {NodeCount}");
        }
        return errors;
    }
}

public sealed record SimulatedSku
{
    public string Name { get; init; } = "hgx-h100-8";

    public string GpuModel { get; init; } = "H100-SXM5-80GB";

    public int Gpus { get; init; } = 8;

    public bool MigCapable { get; init; } = true;

    public int Cpus { get; init; } = 112;

    public int MemoryGiB { get; init; } = 2048;

    public int Nics { get; init; } = 2;

    public int Hcas { get; init; } = 8;

    public string Model { get; init; } = "HGX H100 8-GPU";
}

public sealed record SimulatedSite
{
    public string Name { get; init; } = "sim";

    public string Location { get; init; } = "Simulated datacenter";

    public int Racks { get; init; } = 2;

    public int NodesPerRack { get; init; } = 8;

    /// <summary>SKU name → weight; empty means every node is the first SKU.</summary>
    public IReadOnlyDictionary<string, int> SkuMix { get; init; } = new Dictionary<string, int>();
}

/// <summary>Leaf-spine Ethernet and an InfiniBand fat-tree: a leaf of each per rack, these many spines above.</summary>
public sealed record SimulatedFabric
{
    public int EthernetSpines { get; init; } = 2;

    public int InfinibandSpines { get; init; } = 2;
}

public sealed record SimulatedImage
{
    public string Name { get; init; } = "ubuntu-2404-cuda-128";

    public string Os { get; init; } = "ubuntu-24.04";

    public string Kernel { get; init; } = "6.8.0-45-generic";

    public string GpuDriver { get; init; } = "570.86.15";

    public string Cuda { get; init; } = "12.8";
}
