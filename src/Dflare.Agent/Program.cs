using System.Text.Json;
using Dflare.Agent;
using Dflare.Agent.Gpus;
using Dflare.Agent.Protocol;

// dflare-agent [--config /etc/dflare/agent.json]: the file cloud-init wrote. Exit codes: 0 stopped, 2 usage or
// configuration, 3 refused by the control plane.
var path = args.Length == 2 && args[0] == "--config" ? args[1] : args.Length == 0 ? "/etc/dflare/agent.json" : null;
if (path is null)
{
    Console.Error.WriteLine("usage: dflare-agent [--config /etc/dflare/agent.json]");
    return 2;
}
AgentConfig config;
try
{
    config = JsonSerializer.Deserialize<AgentConfig>(File.ReadAllText(path), new JsonSerializerOptions(JsonSerializerDefaults.Web))
        ?? throw new JsonException("empty");
}
catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"dflare-agent: cannot read {path}: {ex.Message}");
    return 2;
}
IGpuSource gpus = NvmlGpuSource.TryCreate() ?? (IGpuSource)new StaticGpuSource([]);
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();
var agent = new NodeAgent(config with { StateDirectory = config.StateDirectory ?? "/var/lib/dflare-agent" }, gpus, HostFacts.OfThisMachine(), TimeProvider.System,
    line => Console.WriteLine($"dflare-agent: {line}"));
try
{
    await agent.RunAsync(stop.Token);
    return 0;
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    return 0;
}
catch (AgentRefusedException ex)
{
    Console.Error.WriteLine($"dflare-agent: {ex.Message}");
    return 3;
}
