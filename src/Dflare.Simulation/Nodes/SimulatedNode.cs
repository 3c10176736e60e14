using System.Net.Http.Json;
using System.Security.Cryptography;
using Dflare.Agent;
using Dflare.Agent.Gpus;
using Dflare.Agent.Protocol;
using Dflare.Core.Provisioning.Bmc;
using Dflare.Core.Provisioning.CloudInit;
using Dflare.Simulation.Bmc;
using Dflare.Simulation.Topology;

namespace Dflare.Simulation;

/// <summary>
/// One simulated machine behind its BMC. Powered on with a PXE override, it boots the way a real node does, over
/// real HTTP to the control plane: iPXE script, cloud-init NoCloud seed, golden image download checked against its
/// SHA-256 (a mismatch is reported with the bootstrap token), reboot, cloud-init's phone-home, then the real agent
/// (<see cref="NodeAgent"/>) in process. A disk boot of an installed node just starts the agent again.
/// </summary>
public sealed class SimulatedNode : IDisposable
{
    private readonly SimulatedDatacenter _datacenter;
    private readonly Random _jitter;
    private readonly Lock _gate = new();
    private CancellationTokenSource? _running;
    private AgentConfig? _installed;

    internal SimulatedNode(SimulatedDatacenter datacenter, string name, string rack, SimulatedSku sku, SimulatedBmc bmc, IReadOnlySet<NodeFault> faults, int seed)
    {
        _datacenter = datacenter;
        Name = name;
        Rack = rack;
        Sku = sku;
        Bmc = bmc;
        Faults = faults;
        _jitter = new Random(seed);
        Gpus = new StaticGpuSource([.. bmc.Gpus.Select((g, i) => new GpuInfo(i, g.Model, g.SerialNumber, $"GPU-{DeterministicGuid(g.SerialNumber)}"))]);
        bmc.Booted += OnBooted;
        bmc.PoweredOff += Stop;
    }

    public string Name { get; }

    public string Rack { get; }

    public SimulatedSku Sku { get; }

    public SimulatedBmc Bmc { get; }

    public IReadOnlySet<NodeFault> Faults { get; }

    /// <summary>What the agent reports about the GPUs; a test sets XID errors or temperatures here.</summary>
    public StaticGpuSource Gpus { get; }

    /// <summary>Where the boot got to, in words (for tests and the operator's curiosity).</summary>
    public string Stage { get; private set; } = "off";

    public NodeAgent? Agent { get; private set; }

    /// <summary>The password the operator enrols: the BMC's own, unless the node carries <see cref="NodeFault.WrongCredentials"/>.</summary>
    public string EnrolledPassword => Faults.Contains(NodeFault.WrongCredentials) ? Bmc.Password + "-stale" : Bmc.Password;

    private void OnBooted(BootTarget source)
    {
        var cancellation = Restart();
        _ = Task.Run(() => source == BootTarget.Pxe ? PxeBootAsync(cancellation.Token) : DiskBootAsync(cancellation.Token), CancellationToken.None);
    }

    /// <summary>Powered off: whatever was running stops.</summary>
    public void Stop()
    {
        lock (_gate)
        {
            _running?.Cancel();
            _running?.Dispose();
            _running = null;
            Agent = null;
            Stage = "off";
        }
    }

    public void Dispose() => Stop();

    private CancellationTokenSource Restart()
    {
        lock (_gate)
        {
            _running?.Cancel();
            _running?.Dispose();
            _running = new CancellationTokenSource();
            return _running;
        }
    }

    private async Task PxeBootAsync(CancellationToken cancellationToken)
    {
        try
        {
            Stage = "pxe";
            await DelayAsync(TimeSpan.FromSeconds(5), cancellationToken);
            if (Faults.Contains(NodeFault.PxeFailure))
            {
                Stage = "pxe: no DHCP offer";
                return;
            }
            var http = _datacenter.Http;
            var seed = new Uri(_datacenter.BootServer, $"provisioning/v1/nodes/{Name}/");
            using (var ipxe = await http.GetAsync(new Uri(seed, "ipxe"), cancellationToken))
            {
                if (!ipxe.IsSuccessStatusCode)
                {
                    Stage = $"pxe: nothing to boot ({(int)ipxe.StatusCode})";
                    return;
                }
            }
            Stage = "deploy";
            var metaData = ReadMetaData(await http.GetStringAsync(new Uri(seed, "meta-data"), cancellationToken));
            var userData = await http.GetStringAsync(new Uri(seed, "user-data"), cancellationToken);
            var agent = CloudInitRenderer.ReadAgentConfig(userData) ?? throw new InvalidDataException("user-data carries no agent configuration");
            await DelayAsync(TimeSpan.FromSeconds(20), cancellationToken);
            var image = SimulatedImages.Download(metaData["dflare-image-url"]) ?? [];
            if (Faults.Contains(NodeFault.ImageChecksumMismatch) && image.Length > 0)
            {
                image[0] ^= 0xFF; // a bit flipped on the way
            }
            var actual = Convert.ToHexStringLower(SHA256.HashData(image));
            if (actual != metaData["dflare-image-sha256"])
            {
                Stage = "deploy: image checksum mismatch";
                using var report = new HttpRequestMessage(HttpMethod.Post, new Uri(seed, "boot-failure"))
                {
                    Content = JsonContent.Create(new { stage = "image", reason = $"image '{metaData["dflare-image"]}' checksum mismatch: expected sha256 {metaData["dflare-image-sha256"]}, downloaded {actual}" }),
                };
                report.Headers.Authorization = new("Bearer", agent.BootstrapToken);
                (await http.SendAsync(report, cancellationToken)).Dispose();
                return;
            }
            // The image is written over the disk: what the last life left (the agent's key and certificates) is gone.
            Wipe();
            Stage = "cloud-init";
            await DelayAsync(TimeSpan.FromSeconds(10), cancellationToken);
            Install(agent);
            (await http.PostAsync(new Uri(seed, "phone-home"),
                new FormUrlEncodedContent([new("instance_id", metaData["instance-id"]), new("hostname", Name)]), cancellationToken)).Dispose();
            await StartAgentAsync(agent, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Powered off or rebooted.
        }
        catch (Exception ex) when (ex is HttpRequestException or InvalidDataException or KeyNotFoundException)
        {
            Stage = $"boot failed: {ex.Message}";
        }
    }

    private async Task DiskBootAsync(CancellationToken cancellationToken)
    {
        try
        {
            if ((_installed ?? LoadInstalled()) is not { } agent)
            {
                Stage = "no bootable disk";
                return;
            }
            Stage = "booting from disk";
            await DelayAsync(TimeSpan.FromSeconds(10), cancellationToken);
            await StartAgentAsync(agent, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Powered off or rebooted.
        }
    }

    private async Task StartAgentAsync(AgentConfig config, CancellationToken cancellationToken)
    {
        if (Faults.Contains(NodeFault.AgentNeverRegisters))
        {
            Stage = "running; the agent did not start";
            return;
        }
        Stage = "agent";
        var agent = new NodeAgent(config with { StateDirectory = StateFolder }, Gpus,
            new HostFacts(Name, Sku.Cpus, Sku.MemoryGiB, () => [new LinkHealth("fabric0", "ethernet", "Up"), new LinkHealth("ib0", "infiniband", "Up")]),
            _datacenter.Time);
        Agent = agent;
        try
        {
            await agent.RunAsync(cancellationToken);
        }
        catch (AgentRefusedException ex)
        {
            Stage = $"agent refused: {ex.Message}";
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            Stage = $"agent stopped: {ex.Message}";
        }
    }

    private string? StateFolder => _datacenter.StateDirectory is { } d ? Path.Combine(d, Name) : null;

    private void Wipe()
    {
        _installed = null;
        if (StateFolder is { } folder && Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The image is on disk now: remember the agent configuration cloud-init wrote, across restarts too.</summary>
    private void Install(AgentConfig agent)
    {
        _installed = agent;
        if (StateFolder is { } folder)
        {
            Directory.CreateDirectory(folder);
            File.WriteAllText(Path.Combine(folder, "agent.json"), System.Text.Json.JsonSerializer.Serialize(agent));
        }
    }

    private AgentConfig? LoadInstalled() =>
        StateFolder is { } folder && File.Exists(Path.Combine(folder, "agent.json"))
            ? System.Text.Json.JsonSerializer.Deserialize<AgentConfig>(File.ReadAllText(Path.Combine(folder, "agent.json")))
            : null;

    private Task DelayAsync(TimeSpan typical, CancellationToken cancellationToken)
    {
        double factor;
        lock (_jitter)
        {
            factor = 0.75 + (_jitter.NextDouble() / 2);
        }
        var delay = typical * _datacenter.TimeScale * factor;
        return delay <= TimeSpan.Zero ? Task.CompletedTask : Task.Delay(delay, _datacenter.Time, cancellationToken);
    }

    /// <summary>NoCloud meta-data as rendered: <c>key: "json string"</c> per line.</summary>
    private static Dictionary<string, string> ReadMetaData(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(':', 2))
            .ToDictionary(p => p[0].Trim(), p => System.Text.Json.JsonSerializer.Deserialize<string>(p[1].Trim())!, StringComparer.Ordinal);

    private static Guid DeterministicGuid(string text) => new(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)).AsSpan(0, 16));
}
