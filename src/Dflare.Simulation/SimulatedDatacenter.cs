using Dflare.Core.Inventory;
using Dflare.Core.Provisioning.Bmc;
using Dflare.Core.Provisioning.Images;
using Dflare.Core.Resources;
using Dflare.Simulation.Bmc;
using Dflare.Simulation.Topology;

namespace Dflare.Simulation;

/// <summary>
/// A datacenter built from a <see cref="SimulationTopology"/>: a simulated BMC per node (Redfish over HTTP, or in
/// process), the nodes behind them, and the inventory manifest an operator would enrol for it. Deterministic for a
/// seed: the same topology gives the same serial numbers, SKU mix and boot jitter.
/// </summary>
public sealed class SimulatedDatacenter : IDisposable
{
    public const string BmcUsername = "admin";

    private readonly Dictionary<string, SimulatedNode> _nodes = new(StringComparer.Ordinal);

    public SimulatedDatacenter(SimulationTopology topology, double timeScale, TimeProvider time, string? stateDirectory = null)
    {
        Topology = topology;
        TimeScale = timeScale;
        Time = time;
        StateDirectory = stateDirectory;
        var random = new Random(topology.Seed);
        foreach (var site in topology.Sites)
        {
            for (var r = 1; r <= site.Racks; r++)
            {
                var rack = RackName(site, r);
                for (var n = 1; n <= site.NodesPerRack; n++)
                {
                    var name = $"{rack}-n{n:00}";
                    var sku = PickSku(topology, site, random);
                    var faults = topology.Faults.GetValueOrDefault(name, []).ToHashSet();
                    var serial = $"SIM{random.Next(100_000_000, 999_999_999)}";
                    var gpus = Enumerable.Range(0, sku.Gpus - (faults.Contains(NodeFault.GpuMissing) ? 1 : 0))
                        .Select(i => new BmcGpu($"GPU{i}", sku.GpuModel, $"{serial}-G{i}")).ToList();
                    var bmc = Bmcs.Add(new SimulatedBmc(name, BmcUsername, Convert.ToHexStringLower(BitConverter.GetBytes(random.NextInt64())), serial, sku.Model, sku.Cpus, sku.MemoryGiB, gpus)
                    {
                        Fault = faults.Contains(NodeFault.BmcTimeout) ? BmcFault.Timeout : BmcFault.None,
                    });
                    _nodes.Add(name, new SimulatedNode(this, name, rack, sku, bmc, faults, random.Next()));
                }
            }
        }
    }

    public SimulationTopology Topology { get; }

    public SimulatedBmcs Bmcs { get; } = new();

    public IReadOnlyCollection<SimulatedNode> Nodes => _nodes.Values;

    /// <summary>1 boots in about a minute a node (PXE 5 s, image 20 s, cloud-init 10 s, with jitter); 0 is instant.</summary>
    public double TimeScale { get; }

    public TimeProvider Time { get; }

    /// <summary>Where nodes' agents keep their keys and certificates (one folder per node), so a control-plane restart
    /// finds them still enrolled; null keeps them in memory.</summary>
    public string? StateDirectory { get; }

    /// <summary>Where nodes reach the control plane for iPXE, seeds and phone-home; set by <see cref="Start"/>.</summary>
    public Uri BootServer { get; private set; } = new("http://127.0.0.1/");

    internal HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    public SimulatedNode Node(string name) => _nodes[name];

    public void Start(Uri bootServer) => BootServer = new Uri(bootServer.ToString().TrimEnd('/') + "/");

    /// <summary>The inventory an operator enrols for this datacenter, with BMCs at <paramref name="bmcAddress"/>
    /// (a Redfish base such as <c>http://127.0.0.1:5080/bmc/{id}</c>, or <c>sim://bmc/{id}</c>).</summary>
    public InventoryManifest Manifest(Func<SimulatedBmc, string> bmcAddress) => new()
    {
        ApiVersion = ApiVersions.V1,
        Kind = InventoryManifest.KindName,
        Sites = [.. Topology.Sites.Select(s => new Site { Metadata = Meta(s.Name), Spec = new SiteSpec { DisplayName = s.Name, Location = s.Location } })],
        Racks = [.. Topology.Sites.SelectMany(s => Enumerable.Range(1, s.Racks).Select(r => new Rack
        {
            Metadata = Meta(RackName(s, r)),
            Spec = new RackSpec
            {
                Site = s.Name,
                Position = $"row 1, position {r}",
                EthernetLeaf = $"{RackName(s, r)}-leaf",
                InfinibandLeaf = $"{RackName(s, r)}-ibleaf",
            },
        }))],
        Skus = [.. Topology.Skus.Select(s => new Sku
        {
            Metadata = Meta(s.Name),
            Spec = new SkuSpec { GpuModel = s.GpuModel, Gpus = s.Gpus, MigCapable = s.MigCapable, Cpus = s.Cpus, MemoryGiB = s.MemoryGiB, Nics = s.Nics, Hcas = s.Hcas },
        })],
        Images =
        [
            new GoldenImage
            {
                Metadata = Meta(Topology.Image.Name),
                Spec = new GoldenImageSpec
                {
                    Os = Topology.Image.Os, Kernel = Topology.Image.Kernel, GpuDriver = Topology.Image.GpuDriver, Cuda = Topology.Image.Cuda,
                    Url = SimulatedImages.Url(Topology.Image.Name).ToString(), Sha256 = SimulatedImages.Sha256(Topology.Image.Name),
                },
            },
        ],
        Nodes = [.. _nodes.Values.Select((n, i) => new Node
        {
            Metadata = Meta(n.Name),
            Spec = new NodeSpec
            {
                Rack = n.Rack,
                Sku = n.Sku.Name,
                RackUnit = (i % Math.Max(1, Topology.Sites[0].NodesPerRack)) + 1,
                Image = Topology.Image.Name,
                Bmc = new NodeBmc { Address = bmcAddress(n.Bmc), Username = n.Bmc.Username, Password = n.EnrolledPassword },
            },
        })],
    };

    public void Dispose()
    {
        foreach (var node in _nodes.Values)
        {
            node.Dispose();
        }
        Http.Dispose();
    }

    private static string RackName(SimulatedSite site, int rack) => $"{site.Name}-r{rack}";

    private static ObjectMeta Meta(string name) => new() { Name = name };

    private static SimulatedSku PickSku(SimulationTopology topology, SimulatedSite site, Random random)
    {
        if (site.SkuMix.Count == 0)
        {
            return topology.Skus[0];
        }
        var roll = random.Next(site.SkuMix.Values.Sum());
        foreach (var (name, weight) in site.SkuMix.OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            if (roll < weight)
            {
                return topology.Skus.First(s => s.Name == name);
            }
            roll -= weight;
        }
        return topology.Skus[0];
    }
}
