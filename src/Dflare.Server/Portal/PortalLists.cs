using System.Text.Json.Nodes;

namespace Dflare.Server.Portal;

/// <summary>Every item of a list through the API (null path: nothing, for a page with no tenant picked yet).</summary>
internal static class PortalLists
{
    public static async Task<IReadOnlyList<JsonObject>> AllAsync(PortalSession session, string? path, CancellationToken cancellationToken)
    {
        var items = new List<JsonObject>();
        if (path is null)
        {
            return items;
        }
        await foreach (var item in session.Api.ListAsync(path, null, cancellationToken))
        {
            items.Add(item);
        }
        return items;
    }
}
