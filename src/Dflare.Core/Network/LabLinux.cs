using System.Text.Json;
using Dflare.Core.Processes;

namespace Dflare.Core.Network;

/// <summary>What the Lab driver runs and reads on this host: <c>ip</c>, <c>bridge</c>, <c>nft</c> (argument lists,
/// never a shell) and their JSON listings.</summary>
internal static class LabLinux
{
    public sealed record Link(string Name, string? Master, string? Alias, IReadOnlyList<string> Addresses);

    public sealed record IpRule(int Priority, string? Iif, string Table);

    public static async Task<Dictionary<string, Link>> LinksAsync(string ns, CancellationToken cancellationToken)
    {
        var listing = await RunAsync(["ip", "-n", ns, "-j", "addr", "show"], cancellationToken);
        var aliases = await RunAsync(["ip", "-n", ns, "-j", "link", "show"], cancellationToken);
        var alias = JsonDocument.Parse(aliases).RootElement.EnumerateArray()
            .ToDictionary(e => e.GetProperty("ifname").GetString()!, e => e.TryGetProperty("ifalias", out var a) ? a.GetString() : null, StringComparer.Ordinal);
        var links = new Dictionary<string, Link>(StringComparer.Ordinal);
        foreach (var entry in JsonDocument.Parse(listing).RootElement.EnumerateArray())
        {
            var name = entry.GetProperty("ifname").GetString()!;
            var addresses = entry.TryGetProperty("addr_info", out var info)
                ? info.EnumerateArray().Where(a => a.TryGetProperty("local", out _)).Select(a => $"{a.GetProperty("local").GetString()}/{a.GetProperty("prefixlen").GetInt32()}").ToList()
                : [];
            links[name] = new Link(name, entry.TryGetProperty("master", out var master) ? master.GetString() : null, alias.GetValueOrDefault(name), addresses);
        }
        return links;
    }

    public static async Task<HashSet<IpRule>> RulesAsync(string ns, CancellationToken cancellationToken)
    {
        var listing = await RunAsync(["ip", "-n", ns, "-j", "rule", "show"], cancellationToken);
        return JsonDocument.Parse(listing).RootElement.EnumerateArray().Select(e => new IpRule(
            e.GetProperty("priority").GetInt32(), e.TryGetProperty("iif", out var iif) ? iif.GetString() : null,
            e.TryGetProperty("table", out var table) ? table.GetString() ?? "" : "")).ToHashSet();
    }

    public static async Task<string> RunAsync(IReadOnlyList<string> command, CancellationToken cancellationToken, bool allowFailure = false, string? input = null)
    {
        ProcessOutcome outcome;
        try
        {
            outcome = await ChildProcess.RunAsync(command[0], command.Skip(1).ToList(), input, cancellationToken);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new FabricDriverException($"{command[0]} is not installed (Debian packages iproute2 and nftables)", transient: false, ex);
        }
        if (outcome.ExitCode != 0 && !allowFailure)
        {
            throw new FabricDriverException($"'{string.Join(' ', command)}' failed ({outcome.ExitCode}): {outcome.Error.Trim()}", transient: true);
        }
        return outcome.Output;
    }
}
