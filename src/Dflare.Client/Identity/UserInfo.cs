using System.Text.Json.Nodes;
using Dflare.Client.Api;

namespace Dflare.Client.Identity;

/// <summary>Who a token speaks for, from the realm's OpenID Connect UserInfo endpoint.</summary>
public sealed record UserInfo(string Subject, string Name, string Realm, string? Tenant, string Kind, IReadOnlyList<string> Groups, IReadOnlyList<string> Roles)
{
    /// <summary>Asks realm <paramref name="realm"/> who the client's credential is; a token of another realm is refused (401).</summary>
    public static async Task<UserInfo> ReadAsync(DflareClient client, string realm, CancellationToken cancellationToken)
    {
        var body = (await client.SendAsync(HttpMethod.Get, $"/realms/{Uri.EscapeDataString(realm)}/protocol/openid-connect/userinfo", null, null, cancellationToken)).Body as JsonObject ?? [];
        return new UserInfo(Text(body, "sub") ?? "", Text(body, "preferred_username") ?? "", Text(body, "realm") ?? realm, Text(body, "tenant"),
            Text(body, "principal_kind") ?? "", Strings(body, "groups"), Strings(body, "roles"));
    }

    private static string? Text(JsonObject o, string name) => o[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static List<string> Strings(JsonObject o, string name) => [.. (o[name] as JsonArray ?? []).Select(x => x?.GetValue<string>() ?? "")];
}
