namespace Dflare.Core.Placement;

/// <summary>A request waiting for nodes, in the order it arrived.</summary>
public sealed record QueuedRequest(Guid Id, DateTimeOffset RequestedAt, PlacementRequest Request);

/// <summary>What one pass decided for a waiting request: its nodes, or why it still waits (or cannot be served).</summary>
/// <remarks><c>OverQuota</c>: True when the request would take the tenant over its GPU quota: waiting for capacity does not help.</remarks>
public sealed record PassResult(Guid Id, PlacementDecision Decision, bool OverQuota = false);

/// <summary>
/// The order in which waiting requests are served when capacity is short: dominant-resource fairness (Ghodsi et al.,
/// "Dominant Resource Fairness", NSDI 2011) over GPU models. A tenant's dominant share is the largest fraction it holds
/// of any model's GPUs in the fleet; the waiting request of the tenant with the lowest share goes first, ties by
/// arrival then id. After each placement the tenant's share grows and the order is taken again. A request that does
/// not fit is passed over for this pass (later, smaller requests may use what is free: backfill) and keeps its place.
/// </summary>
public static class FairShare
{
    /// <remarks><c>held</c>: GPUs each tenant holds now, by model. <c>totals</c>: GPUs in the fleet by model (free or not). <c>quota</c>: A tenant's GPU quota for a model; null when it has none.</remarks>
    public static IReadOnlyList<PassResult> Pass(
        FleetIndex fleet, IEnumerable<QueuedRequest> waiting, Dictionary<string, Dictionary<string, int>> held,
        IReadOnlyDictionary<string, int> totals, Func<string, string, int?> quota)
    {
        var remaining = waiting.ToList();
        var results = new List<PassResult>(remaining.Count);
        while (remaining.Count > 0)
        {
            var next = remaining.OrderBy(r => DominantShare(held.GetValueOrDefault(r.Request.Tenant), totals))
                .ThenBy(r => r.RequestedAt).ThenBy(r => r.Id).First();
            remaining.Remove(next);
            var decision = Placer.Decide(fleet, next.Request);
            if (!decision.Placed)
            {
                results.Add(new PassResult(next.Id, decision));
                continue;
            }
            var tenantHeld = held.TryGetValue(next.Request.Tenant, out var h) ? h : held[next.Request.Tenant] = new Dictionary<string, int>(StringComparer.Ordinal);
            var nodes = decision.Nodes!.Values.SelectMany(n => n).ToList();
            var byName = nodes.ToHashSet(StringComparer.Ordinal);
            var adding = fleet.Nodes.Where(n => byName.Contains(n.Name)).GroupBy(n => n.GpuModel).ToDictionary(g => g.Key, g => g.Sum(n => n.Gpus), StringComparer.Ordinal);
            var over = adding.FirstOrDefault(a => quota(next.Request.Tenant, a.Key) is { } limit && tenantHeld.GetValueOrDefault(a.Key) + a.Value > limit);
            if (over.Key is not null)
            {
                var limit = quota(next.Request.Tenant, over.Key)!.Value;
                results.Add(new PassResult(next.Id, PlacementDecision.Refused(
                    $"tenant '{next.Request.Tenant}' would hold {tenantHeld.GetValueOrDefault(over.Key) + over.Value} {over.Key} GPUs; its quota is {limit} (it holds {tenantHeld.GetValueOrDefault(over.Key)})"), OverQuota: true));
                continue;
            }
            fleet.Allocate(nodes);
            foreach (var (model, gpus) in adding)
            {
                tenantHeld[model] = tenantHeld.GetValueOrDefault(model) + gpus;
            }
            results.Add(new PassResult(next.Id, decision));
        }
        return results;
    }

    public static double DominantShare(IReadOnlyDictionary<string, int>? held, IReadOnlyDictionary<string, int> totals) =>
        held is null ? 0 : held.Select(h => totals.TryGetValue(h.Key, out var total) && total > 0 ? (double)h.Value / total : 0).DefaultIfEmpty(0).Max();
}
