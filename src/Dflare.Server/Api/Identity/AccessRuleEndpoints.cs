using System.Text.Json;
using Dflare.Core.Identity;
using Dflare.Core.Resources;
using Dflare.Persistence.Identity;
using Dflare.Persistence.Store;
using Dflare.Server.Access;
using Dflare.Server.Api.Json;
using Dflare.Server.Api.Problems;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Dflare.Server.Api.Identity;

public sealed record BindingSubject(string? Kind, string? Name);

public sealed record RoleBindingSpec(string? Name, BindingSubject? Subject, string? Role, string? Project);

public sealed record RoleBindingView(string Name, BindingSubject Subject, string Role, string? Project, DateTimeOffset CreatedAt);

public sealed record CustomRoleSpec(string? Name, IReadOnlyList<string>? Permissions, string? Description);

public sealed record CustomRoleView(string Name, IReadOnlyList<string> Permissions, string? Description, DateTimeOffset CreatedAt);

public sealed record AccessPolicySpec(string? Name, string? Effect, IReadOnlyList<string>? Permissions, IReadOnlyList<AccessCondition>? Conditions, string? Description);

public sealed record AccessPolicyView(string Name, string Effect, IReadOnlyList<string> Permissions, IReadOnlyList<AccessCondition> Conditions, string? Description, DateTimeOffset CreatedAt);

/// <summary>
/// What a realm grants: <c>role-bindings</c> (a role for a user, service account or group, over the realm or one
/// project), <c>roles</c> (custom sets of permissions) and <c>policies</c> (attribute conditions that allow or deny).
/// Changes reach tokens at their next issue or refresh, and the decision point within seconds.
/// </summary>
public static class AccessRuleEndpoints
{
    public static void MapAccessRules(this RouteGroupBuilder realm)
    {
        realm.MapGet("/role-bindings", ListBindingsAsync).RequirePermissionInRealm(Permissions.IdentityRead).WithName("listRoleBindings")
            .Produces<ItemList<RoleBindingView>>().ProducesProblem(StatusCodes.Status404NotFound);
        realm.MapPost("/role-bindings", CreateBindingAsync).RequirePermissionInRealm(Permissions.IdentityManage).WithName("createRoleBinding")
            .WithSummary("Grant a role to a user, service account or group, over the whole realm or one project.")
            .Accepts<RoleBindingSpec>("application/json", "application/yaml").Produces<RoleBindingView>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        realm.MapDelete("/role-bindings/{name}", (string realm, string name, DflareDbContext db, PolicyDecisionPoint pdp, CancellationToken ct) =>
                DeleteAsync(db.RoleBindings.Where(b => b.Realm == realm && b.Name == name), "RoleBinding", realm, name, db, pdp, ct))
            .RequirePermissionInRealm(Permissions.IdentityManage).WithName("deleteRoleBinding")
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status404NotFound);

        realm.MapGet("/roles", ListRolesAsync).RequirePermissionInRealm(Permissions.IdentityRead).WithName("listRoles")
            .WithSummary("The built-in roles and the realm's custom roles, each with its permissions.")
            .Produces<ItemList<CustomRoleView>>().ProducesProblem(StatusCodes.Status404NotFound);
        realm.MapPost("/roles", CreateRoleAsync).RequirePermissionInRealm(Permissions.IdentityManage).WithName("createRole")
            .Accepts<CustomRoleSpec>("application/json", "application/yaml").Produces<CustomRoleView>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        realm.MapDelete("/roles/{name}", (string realm, string name, DflareDbContext db, PolicyDecisionPoint pdp, CancellationToken ct) =>
                DeleteAsync(db.CustomRoles.Where(r => r.Realm == realm && r.Name == name), "Role", realm, name, db, pdp, ct))
            .RequirePermissionInRealm(Permissions.IdentityManage).WithName("deleteRole")
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status404NotFound);

        realm.MapGet("/policies", ListPoliciesAsync).RequirePermissionInRealm(Permissions.IdentityRead).WithName("listAccessPolicies")
            .Produces<ItemList<AccessPolicyView>>().ProducesProblem(StatusCodes.Status404NotFound);
        realm.MapPost("/policies", CreatePolicyAsync).RequirePermissionInRealm(Permissions.IdentityManage).WithName("createAccessPolicy")
            .WithSummary("An attribute rule: for these permissions, when every condition holds, Allow or Deny (a deny wins).")
            .Accepts<AccessPolicySpec>("application/json", "application/yaml").Produces<AccessPolicyView>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        realm.MapDelete("/policies/{name}", (string realm, string name, DflareDbContext db, PolicyDecisionPoint pdp, CancellationToken ct) =>
                DeleteAsync(db.AccessPolicies.Where(p => p.Realm == realm && p.Name == name), "AccessPolicy", realm, name, db, pdp, ct))
            .RequirePermissionInRealm(Permissions.IdentityManage).WithName("deleteAccessPolicy")
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status404NotFound);

        realm.MapPost("/keys/rotate", RotateKeysAsync).RequirePermission(Permissions.RealmKeysRotate).WithName("rotateRealmKeys")
            .WithSummary("Retire the realm's signing key and start signing with a new one; the old key stays published until its tokens expire.")
            .Produces<KeyRotation>().ProducesProblem(StatusCodes.Status404NotFound);
    }

    public sealed record KeyRotation(string KeyId, DateTimeOffset CreatedAt);

    private static async Task<IResult> RotateKeysAsync(string realm, DflareDbContext db, RealmKeys keys, CancellationToken cancellationToken)
    {
        if (!await RealmDirectory.ExistsAsync(db, realm, cancellationToken))
        {
            return Problem.NotFound("Realm", realm);
        }
        var key = await keys.RotateAsync(realm, cancellationToken);
        return TypedResults.Ok(new KeyRotation(key.Key.KeyId, key.CreatedAt));
    }

    private static async Task<IResult> ListBindingsAsync(string realm, DflareDbContext db, CancellationToken cancellationToken) =>
        !await RealmDirectory.ExistsAsync(db, realm, cancellationToken) ? Problem.NotFound("Realm", realm)
        : TypedResults.Ok(new ItemList<RoleBindingView>([.. (await db.RoleBindings.AsNoTracking().Where(b => b.Realm == realm).OrderBy(b => b.Name).ToListAsync(cancellationToken)).Select(View)]));

    private static async Task<IResult> CreateBindingAsync(string realm, HttpContext http, DflareDbContext db, TimeProvider time, CancellationToken cancellationToken)
    {
        var (body, problem) = await RealmDirectory.ReadBodyAsync<RoleBindingSpec>(realm, http, db, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var spec = body!;
        var validation = new Validation();
        PrincipalEndpoints.ValidateName(validation, spec.Name);
        var kind = spec.Subject?.Kind;
        if (validation.Required("subject.kind", kind) && kind is not (PrincipalKinds.User or PrincipalKinds.ServiceAccount or PrincipalKinds.Group))
        {
            validation.Add("subject.kind", FieldErrorCodes.InvalidValue, "subject.kind must be User, ServiceAccount or Group.");
        }
        if (validation.Required("subject.name", spec.Subject?.Name) && kind is PrincipalKinds.User or PrincipalKinds.ServiceAccount
            && !await db.Principals.AnyAsync(p => p.Realm == realm && p.Kind == kind && p.Name == spec.Subject!.Name, cancellationToken))
        {
            validation.Add("subject.name", FieldErrorCodes.UnknownReference, $"There is no {kind} '{spec.Subject!.Name}' in realm '{realm}'.");
        }
        if (kind == PrincipalKinds.Group && spec.Subject?.Name is { } group && !Names.IsDnsLabel(group))
        {
            validation.Add("subject.name", FieldErrorCodes.InvalidFormat, "A group name is a DNS label.");
        }
        if (validation.Required("role", spec.Role) && !await RoleExistsAsync(db, realm, spec.Role!, cancellationToken))
        {
            validation.Add("role", FieldErrorCodes.UnknownReference, realm == Realms.Platform
                ? $"Role '{spec.Role}' is not platform-admin or a custom role of the platform realm."
                : $"Role '{spec.Role}' is not one of {string.Join(", ", BuiltInRoles.TenantRoles)} or a custom role of realm '{realm}'.");
        }
        if (spec.Project is { } project)
        {
            if (realm == Realms.Platform)
            {
                validation.Add("project", FieldErrorCodes.InvalidValue, "The platform realm has no projects; bind over the whole realm.");
            }
            else if (!await db.Projects.AnyAsync(p => p.Name == project && db.Tenants.Any(t => t.Id == p.TenantId && t.Name == realm), cancellationToken))
            {
                validation.Add("project", FieldErrorCodes.UnknownReference, $"Tenant '{realm}' has no project '{project}'.");
            }
        }
        if (!validation.IsValid)
        {
            return Problem.Validation(validation.Errors);
        }
        if (await Escalation.RefuseAsync(http, realm, spec.Project, await Escalation.PermissionsOfAsync(db, realm, spec.Role!, cancellationToken)) is { } escalation)
        {
            return escalation;
        }
        var row = new RoleBindingRow
        {
            Id = Guid.CreateVersion7(), Realm = realm, Name = spec.Name!, SubjectKind = kind!, SubjectName = spec.Subject!.Name!,
            Role = spec.Role!, Project = spec.Project, CreatedAt = time.GetUtcNow(),
        };
        return await AddAsync(db, db.RoleBindings, row, spec.Name!, () => TypedResults.Created($"role-bindings/{row.Name}", View(row)), cancellationToken);
    }

    private static async Task<bool> RoleExistsAsync(DflareDbContext db, string realm, string role, CancellationToken cancellationToken) =>
        (realm == Realms.Platform ? role == BuiltInRoles.PlatformAdmin : BuiltInRoles.TenantRoles.Contains(role))
        || await db.CustomRoles.AnyAsync(r => r.Realm == realm && r.Name == role, cancellationToken);

    private static async Task<IResult> ListRolesAsync(string realm, DflareDbContext db, CancellationToken cancellationToken)
    {
        if (!await RealmDirectory.ExistsAsync(db, realm, cancellationToken))
        {
            return Problem.NotFound("Realm", realm);
        }
        var builtIn = (realm == Realms.Platform ? [BuiltInRoles.PlatformAdmin] : BuiltInRoles.TenantRoles.Order(StringComparer.Ordinal).ToList())
            .Select(r => new CustomRoleView(r, [.. BuiltInRoles.Permissions[r].Order(StringComparer.Ordinal)], "built-in", DateTimeOffset.UnixEpoch));
        var custom = (await db.CustomRoles.AsNoTracking().Where(r => r.Realm == realm).OrderBy(r => r.Name).ToListAsync(cancellationToken))
            .Select(r => new CustomRoleView(r.Name, JsonSerializer.Deserialize<string[]>(r.Permissions) ?? [], r.Description, r.CreatedAt));
        return TypedResults.Ok(new ItemList<CustomRoleView>([.. builtIn, .. custom]));
    }

    private static async Task<IResult> CreateRoleAsync(string realm, HttpContext http, DflareDbContext db, PolicyDecisionPoint pdp, TimeProvider time, CancellationToken cancellationToken)
    {
        var (body, problem) = await RealmDirectory.ReadBodyAsync<CustomRoleSpec>(realm, http, db, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var spec = body!;
        var validation = new Validation();
        PrincipalEndpoints.ValidateName(validation, spec.Name);
        if (spec.Name is { } name && BuiltInRoles.Permissions.ContainsKey(name))
        {
            validation.Add("name", FieldErrorCodes.Reserved, $"'{name}' is a built-in role.");
        }
        validation.Text("description", spec.Description, 1024);
        ValidatePermissions(validation, realm, spec.Permissions, allowWildcard: false);
        if (!validation.IsValid)
        {
            return Problem.Validation(validation.Errors);
        }
        if (await Escalation.RefuseAsync(http, realm, null, spec.Permissions!) is { } escalation)
        {
            return escalation;
        }
        var row = new CustomRoleRow
        {
            Id = Guid.CreateVersion7(), Realm = realm, Name = spec.Name!, Permissions = JsonSerializer.Serialize(spec.Permissions!.Distinct().Order(StringComparer.Ordinal)),
            Description = spec.Description, CreatedAt = time.GetUtcNow(),
        };
        pdp.Invalidate(realm);
        return await AddAsync(db, db.CustomRoles, row, row.Name, () => TypedResults.Created($"roles/{row.Name}",
            new CustomRoleView(row.Name, JsonSerializer.Deserialize<string[]>(row.Permissions)!, row.Description, row.CreatedAt)), cancellationToken);
    }

    private static async Task<IResult> ListPoliciesAsync(string realm, DflareDbContext db, CancellationToken cancellationToken) =>
        !await RealmDirectory.ExistsAsync(db, realm, cancellationToken) ? Problem.NotFound("Realm", realm)
        : TypedResults.Ok(new ItemList<AccessPolicyView>([.. (await db.AccessPolicies.AsNoTracking().Where(p => p.Realm == realm).OrderBy(p => p.Name).ToListAsync(cancellationToken)).Select(View)]));

    private static async Task<IResult> CreatePolicyAsync(string realm, HttpContext http, DflareDbContext db, PolicyDecisionPoint pdp, TimeProvider time, CancellationToken cancellationToken)
    {
        var (body, problem) = await RealmDirectory.ReadBodyAsync<AccessPolicySpec>(realm, http, db, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var spec = body!;
        var validation = new Validation();
        PrincipalEndpoints.ValidateName(validation, spec.Name);
        if (validation.Required("effect", spec.Effect) && spec.Effect is not (PolicyEffects.Allow or PolicyEffects.Deny))
        {
            validation.Add("effect", FieldErrorCodes.InvalidValue, "effect must be Allow or Deny.");
        }
        validation.Text("description", spec.Description, 1024);
        // A tenant's allow policy can only grant tenant permissions; a deny may name anything, including '*'.
        ValidatePermissions(validation, realm, spec.Permissions, allowWildcard: spec.Effect == PolicyEffects.Deny);
        if (validation.Required("conditions", spec.Conditions) && spec.Conditions!.Count == 0)
        {
            validation.Add("conditions", FieldErrorCodes.Required, "conditions needs at least one condition (a role binding grants unconditionally).");
        }
        AccessConditions.Validate(validation, "conditions", spec.Conditions);
        if (!validation.IsValid)
        {
            return Problem.Validation(validation.Errors);
        }
        if (spec.Effect == PolicyEffects.Allow && await Escalation.RefuseAsync(http, realm, null, spec.Permissions!) is { } escalation)
        {
            return escalation;
        }
        var row = new AccessPolicyRow
        {
            Id = Guid.CreateVersion7(), Realm = realm, Name = spec.Name!, Effect = spec.Effect!,
            Permissions = JsonSerializer.Serialize(spec.Permissions!.Distinct().Order(StringComparer.Ordinal)),
            Conditions = JsonSerializer.Serialize(spec.Conditions, PolicyDecisionPoint.ConditionJson), Description = spec.Description, CreatedAt = time.GetUtcNow(),
        };
        pdp.Invalidate(realm);
        return await AddAsync(db, db.AccessPolicies, row, row.Name, () => TypedResults.Created($"policies/{row.Name}", View(row)), cancellationToken);
    }

    private static void ValidatePermissions(Validation validation, string realm, IReadOnlyList<string>? permissions, bool allowWildcard)
    {
        if (!validation.Required("permissions", permissions))
        {
            return;
        }
        if (permissions!.Count == 0)
        {
            validation.Add("permissions", FieldErrorCodes.Required, "permissions needs at least one permission.");
        }
        for (var i = 0; i < permissions.Count; i++)
        {
            var permission = permissions[i];
            if (allowWildcard && permission == "*")
            {
                continue;
            }
            if (!Permissions.All.Contains(permission))
            {
                validation.Add($"permissions[{i}]", FieldErrorCodes.InvalidValue, $"'{permission}' is not a permission; see docs/identity.md.");
            }
            else if (realm != Realms.Platform && Permissions.PlatformOnly.Contains(permission) && !allowWildcard)
            {
                validation.Add($"permissions[{i}]", FieldErrorCodes.InvalidValue, $"'{permission}' is for operators; a tenant realm cannot grant it.");
            }
        }
    }

    private static async Task<IResult> AddAsync<TRow>(DflareDbContext db, DbSet<TRow> set, TRow row, string name, Func<IResult> created, CancellationToken cancellationToken)
        where TRow : class
    {
        set.Add(row);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException ex) when (StoreErrors.IsUniqueViolation(ex))
        {
            return Problem.Of(StatusCodes.Status409Conflict, ProblemCodes.AlreadyExists, "The name is taken.", $"'{name}' already exists in this realm.");
        }
        return created();
    }

    private static async Task<IResult> DeleteAsync<TRow>(
        IQueryable<TRow> rows, string kind, string realm, string name, DflareDbContext db, PolicyDecisionPoint pdp, CancellationToken cancellationToken)
    {
        if (await rows.ExecuteDeleteAsync(cancellationToken) == 0)
        {
            return await RealmDirectory.ExistsAsync(db, realm, cancellationToken) ? Problem.NotFound(kind, name) : Problem.NotFound("Realm", realm);
        }
        pdp.Invalidate(realm);
        return TypedResults.NoContent();
    }

    private static RoleBindingView View(RoleBindingRow row) =>
        new(row.Name, new BindingSubject(row.SubjectKind, row.SubjectName), row.Role, row.Project, row.CreatedAt);

    private static AccessPolicyView View(AccessPolicyRow row) => new(
        row.Name, row.Effect, JsonSerializer.Deserialize<string[]>(row.Permissions) ?? [],
        JsonSerializer.Deserialize<AccessCondition[]>(row.Conditions, PolicyDecisionPoint.ConditionJson) ?? [], row.Description, row.CreatedAt);
}
