using System.Text.Json.Nodes;
using Dflare.Client.Api;

namespace Dflare.Server.Portal.Pages;

/// <summary>The operator's fleet: nodes by rack with their state and GPU health, counted by state and health.</summary>
public sealed class FleetModel : PortalPage
{
    public override string Section => "fleet";

    public string? State { get; private set; }

    public IReadOnlyList<JsonObject> Nodes { get; private set; } = [];

    public IEnumerable<IGrouping<string, JsonObject>> Racks => Nodes.GroupBy(n => Fields.Text(n, "spec.rack")).OrderBy(g => g.Key, StringComparer.Ordinal);

    public IEnumerable<(string State, int Count)> ByState { get; private set; } = [];

    public IEnumerable<(string Health, int Gpus)> GpusByHealth { get; private set; } = [];

    public int Gpus => Nodes.Sum(n => Fields.Count(n, "status.gpus"));

    public async Task OnGetAsync(string? state)
    {
        State = state is { Length: > 0 } ? state : null;
        var all = await PortalLists.AllAsync(Session, "nodes", HttpContext.RequestAborted);
        ByState = [.. all.GroupBy(n => Fields.Text(n, "status.state")).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => (g.Key, g.Count()))];
        GpusByHealth = [.. all.GroupBy(n => Fields.Text(n, "status.agent.health") is { Length: > 0 } h ? h : "Unknown")
            .OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => (g.Key, g.Sum(n => Fields.Count(n, "status.gpus"))))];
        Nodes = State is null ? all : [.. all.Where(n => Fields.Text(n, "status.state") == State)];
    }
}
