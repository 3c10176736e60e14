using System.Text.Json;
using Dflare.Core.Identity;
using Dflare.Persistence.Store;
using Dflare.Server.Access;
using Dflare.Server.Api.Problems;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dflare.Server.Api.Identity;

/// <summary>
/// Nobody grants what they do not hold: a role binding, a custom role, an allow policy or a group membership may only
/// hand out permissions the caller itself has at that scope (so <c>identity.manage</c> alone cannot make its holder a
/// tenant-admin, and a conditional grant cannot be turned into a permanent one).
/// </summary>
internal static class Escalation
{
    /// <summary>403 naming the first permission the caller lacks where it would be granted; null when it holds them all.</summary>
    public static async Task<IResult?> RefuseAsync(HttpContext http, string realm, string? project, IEnumerable<string> permissions)
    {
        var decisions = http.RequestServices.GetRequiredService<PolicyDecisionPoint>();
        var subject = http.Subject();
        foreach (var permission in permissions.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            var decision = await decisions.DecideAsync(subject, new AccessRequest(permission, Realms.TenantOf(realm), project), http.RequestAborted);
            if (!decision.Allowed)
            {
                return Problem.Of(StatusCodes.Status403Forbidden, ProblemCodes.Forbidden, "Not allowed.",
                    $"This would grant {permission}{(project is null ? "" : $" in project {project}")}, which you do not hold there yourself.");
            }
        }
        return null;
    }

    /// <summary>A role's permissions in a realm: built-in or custom; none if there is no such role.</summary>
    public static async Task<IReadOnlyList<string>> PermissionsOfAsync(DflareDbContext db, string realm, string role, CancellationToken cancellationToken)
    {
        if (BuiltInRoles.Permissions.TryGetValue(role, out var builtIn))
        {
            return [.. builtIn];
        }
        var custom = await db.CustomRoles.AsNoTracking().Where(r => r.Realm == realm && r.Name == role).Select(r => r.Permissions).FirstOrDefaultAsync(cancellationToken);
        return custom is null ? [] : JsonSerializer.Deserialize<string[]>(custom) ?? [];
    }

    /// <summary>403 if joining <paramref name="groups"/> would give the account anything the caller lacks.</summary>
    public static async Task<IResult?> RefuseGroupsAsync(HttpContext http, DflareDbContext db, string realm, IReadOnlyList<string> groups, CancellationToken cancellationToken)
    {
        var bindings = await db.RoleBindings.AsNoTracking()
            .Where(b => b.Realm == realm && b.SubjectKind == PrincipalKinds.Group && groups.Contains(b.SubjectName))
            .Select(b => new { b.Role, b.Project }).ToListAsync(cancellationToken);
        foreach (var binding in bindings)
        {
            if (await RefuseAsync(http, realm, binding.Project, await PermissionsOfAsync(db, realm, binding.Role, cancellationToken)) is { } refused)
            {
                return refused;
            }
        }
        return null;
    }
}
