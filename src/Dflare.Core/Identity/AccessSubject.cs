using System.Security.Claims;

namespace Dflare.Core.Identity;

/// <summary>A role held over a whole realm (<see cref="Project"/> null) or one project of the tenant.</summary>
public sealed record RoleGrant(string Role, string? Project)
{
    /// <summary>The form carried in tokens: <c>member</c>, or <c>member@research</c> for one project.</summary>
    public override string ToString() => Project is null ? Role : $"{Role}@{Project}";

    public static RoleGrant Parse(string text) =>
        text.IndexOf('@', StringComparison.Ordinal) is var at and > 0 ? new RoleGrant(text[..at], text[(at + 1)..]) : new RoleGrant(text, null);
}

/// <summary>
/// Who is calling, as the policy decision point sees it: the realm that vouches for them, their name and kind, their
/// groups and role grants. Built from a validated access token's claims, or from the bootstrap credential.
/// </summary>
public sealed record AccessSubject(
    string Realm, string Id, string Name, string Kind, IReadOnlyList<string> Groups, IReadOnlyList<RoleGrant> Roles)
{
    public const string RealmClaim = "realm";
    public const string TenantClaim = "tenant";
    public const string RolesClaim = "roles";
    public const string ProjectsClaim = "projects";
    public const string GroupsClaim = "groups";
    public const string KindClaim = "principal_kind";
    public const string NameClaim = "preferred_username";
    public const string SubjectClaim = "sub";

    /// <summary>The tenant whose realm vouches for the caller; null for operators.</summary>
    public string? Tenant => Realms.TenantOf(Realm);

    /// <summary>How the caller appears in the audit log.</summary>
    public string Actor => Kind == PrincipalKinds.FederatedUser ? $"{Realm}/federated:{Name}" : $"{Realm}/{Name}";

    public static AccessSubject? From(ClaimsPrincipal principal)
    {
        var realm = principal.FindFirst(RealmClaim)?.Value;
        var id = principal.FindFirst(SubjectClaim)?.Value;
        if (realm is null || id is null)
        {
            return null;
        }
        return new AccessSubject(
            realm, id, principal.FindFirst(NameClaim)?.Value ?? id, principal.FindFirst(KindClaim)?.Value ?? PrincipalKinds.User,
            [.. principal.FindAll(GroupsClaim).Select(c => c.Value)],
            [.. principal.FindAll(RolesClaim).Select(c => RoleGrant.Parse(c.Value))]);
    }

    public IEnumerable<Claim> ToClaims()
    {
        yield return new Claim(RealmClaim, Realm);
        yield return new Claim(SubjectClaim, Id);
        yield return new Claim(NameClaim, Name);
        yield return new Claim(KindClaim, Kind);
        foreach (var group in Groups)
        {
            yield return new Claim(GroupsClaim, group);
        }
        foreach (var role in Roles)
        {
            yield return new Claim(RolesClaim, role.ToString());
        }
    }
}

public static class PrincipalKinds
{
    public const string User = "User";
    public const string ServiceAccount = "ServiceAccount";
    public const string Group = "Group";

    /// <summary>Signed in at a realm's external provider: never the same as a local user of the same name.</summary>
    public const string FederatedUser = "FederatedUser";
}
