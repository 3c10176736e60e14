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

public sealed record UserSpec(string? Name, string? DisplayName, string? Email, string? Password, IReadOnlyList<string>? Groups);

public sealed record ServiceAccountSpec(string? Name, string? DisplayName, IReadOnlyList<string>? Groups);

public sealed record PrincipalView(string Name, string Kind, string? DisplayName, string? Email, bool Disabled, IReadOnlyList<string> Groups, DateTimeOffset CreatedAt);

/// <summary>A new service account with its client secret, shown this once.</summary>
public sealed record ServiceAccountCreated(string Name, string ClientId, string ClientSecret, string TokenEndpoint);

public sealed record ItemList<T>(IReadOnlyList<T> Items);

public sealed record GroupsSpec(IReadOnlyList<string>? Groups);

public sealed record GroupView(string Name, IReadOnlyList<string> Members);

/// <summary><c>/api/v1/realms/{realm}/users</c> and <c>…/service-accounts</c>: who can sign in to a realm.</summary>
public static class PrincipalEndpoints
{
    public static void MapPrincipals(this RouteGroupBuilder realm)
    {
        foreach (var (path, kind) in new[] { ("users", PrincipalKinds.User), ("service-accounts", PrincipalKinds.ServiceAccount) })
        {
            var noun = kind == PrincipalKinds.User ? "User" : "ServiceAccount";
            realm.MapGet($"/{path}", (string realm, DflareDbContext db, CancellationToken ct) => ListAsync(realm, kind, db, ct))
                .RequirePermissionInRealm(Permissions.IdentityRead).WithName($"list{noun}s").WithSummary($"The realm's {path}, by name.")
                .Produces<ItemList<PrincipalView>>().ProducesProblem(StatusCodes.Status404NotFound);
            realm.MapGet($"/{path}/{{name}}", (string realm, string name, DflareDbContext db, CancellationToken ct) => GetAsync(realm, kind, name, db, ct))
                .RequirePermissionInRealm(Permissions.IdentityRead).WithName($"get{noun}")
                .Produces<PrincipalView>().ProducesProblem(StatusCodes.Status404NotFound);
            realm.MapDelete($"/{path}/{{name}}", (string realm, string name, DflareDbContext db, CancellationToken ct) => DeleteAsync(realm, kind, name, db, ct))
                .RequirePermissionInRealm(Permissions.IdentityManage).WithName($"delete{noun}")
                .WithSummary("Remove the account, its group memberships and its bindings, and revoke its refresh tokens.")
                .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status404NotFound);
            realm.MapPut($"/{path}/{{name}}/groups", (string realm, string name, HttpContext http, DflareDbContext db, CancellationToken ct) => SetGroupsAsync(realm, kind, name, http, db, ct))
                .RequirePermissionInRealm(Permissions.IdentityManage).WithName($"set{noun}Groups")
                .WithSummary("Replace the account's group memberships; takes effect at its next token.")
                .Accepts<GroupsSpec>("application/json", "application/yaml").Produces<PrincipalView>()
                .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        }
        realm.MapGet("/groups", ListGroupsAsync).RequirePermissionInRealm(Permissions.IdentityRead).WithName("listGroups")
            .WithSummary("The realm's groups (every group some account belongs to), each with its members.")
            .Produces<ItemList<GroupView>>().ProducesProblem(StatusCodes.Status404NotFound);
        realm.MapPost("/users", CreateUserAsync).RequirePermissionInRealm(Permissions.IdentityManage).WithName("createUser")
            .WithSummary("A local user who signs in with a password (at least 12 characters; stored as Argon2id).")
            .Accepts<UserSpec>("application/json", "application/yaml").Produces<PrincipalView>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        realm.MapPost("/service-accounts", CreateServiceAccountAsync).RequirePermissionInRealm(Permissions.IdentityManage).WithName("createServiceAccount")
            .WithSummary("A service account for the client-credentials grant; its secret is answered once.")
            .Accepts<ServiceAccountSpec>("application/json", "application/yaml").Produces<ServiceAccountCreated>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
    }

    private static async Task<IResult> ListAsync(string realm, string kind, DflareDbContext db, CancellationToken cancellationToken)
    {
        if (!await RealmDirectory.ExistsAsync(db, realm, cancellationToken))
        {
            return Problem.NotFound("Realm", realm);
        }
        var rows = await db.Principals.AsNoTracking().Where(p => p.Realm == realm && p.Kind == kind).OrderBy(p => p.Name).ToListAsync(cancellationToken);
        var groups = await GroupsAsync(db, rows.Select(r => r.Id).ToList(), cancellationToken);
        return TypedResults.Ok(new ItemList<PrincipalView>([.. rows.Select(r => View(r, groups))]));
    }

    private static async Task<IResult> GetAsync(string realm, string kind, string name, DflareDbContext db, CancellationToken cancellationToken)
    {
        var row = await db.Principals.AsNoTracking().FirstOrDefaultAsync(p => p.Realm == realm && p.Kind == kind && p.Name == name, cancellationToken);
        if (row is null)
        {
            return await RealmDirectory.ExistsAsync(db, realm, cancellationToken) ? Problem.NotFound(kind, name) : Problem.NotFound("Realm", realm);
        }
        return TypedResults.Ok(View(row, await GroupsAsync(db, [row.Id], cancellationToken)));
    }

    private static async Task<IResult> CreateUserAsync(
        string realm, HttpContext http, DflareDbContext db, PasswordHasher hasher, TimeProvider time, CancellationToken cancellationToken)
    {
        var (body, problem) = await RealmDirectory.ReadBodyAsync<UserSpec>(realm, http, db, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var spec = body!;
        var validation = new Validation();
        ValidateName(validation, spec.Name);
        validation.Text("displayName", spec.DisplayName, 128);
        validation.Text("email", spec.Email, 254);
        if (spec.Email is { } email && !email.Contains('@', StringComparison.Ordinal))
        {
            validation.Add("email", FieldErrorCodes.InvalidFormat, "email must be an e-mail address.");
        }
        if (validation.Required("password", spec.Password) && spec.Password!.Length < PasswordHasher.MinLength)
        {
            validation.Add("password", FieldErrorCodes.OutOfRange, $"password must be at least {PasswordHasher.MinLength} characters.");
        }
        ValidateGroups(validation, spec.Groups);
        if (validation.IsValid && await Escalation.RefuseGroupsAsync(http, db, realm, spec.Groups ?? [], cancellationToken) is { } escalation)
        {
            return escalation;
        }
        return await CreateAsync(realm, db, validation, new PrincipalRow
        {
            Id = Guid.CreateVersion7(), Realm = realm, Kind = PrincipalKinds.User, Name = spec.Name ?? "", DisplayName = spec.DisplayName,
            Email = spec.Email, CreatedAt = time.GetUtcNow(), UpdatedAt = time.GetUtcNow(),
        }, spec.Groups, row => row.SecretHash = hasher.Hash(spec.Password!), row => TypedResults.Created($"users/{row.Name}", View(row, GroupMap(row, spec.Groups))), cancellationToken);
    }

    private static async Task<IResult> CreateServiceAccountAsync(
        string realm, HttpContext http, DflareDbContext db, IssuerAddress issuer, TimeProvider time, CancellationToken cancellationToken)
    {
        var (body, problem) = await RealmDirectory.ReadBodyAsync<ServiceAccountSpec>(realm, http, db, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var spec = body!;
        var validation = new Validation();
        ValidateName(validation, spec.Name);
        validation.Text("displayName", spec.DisplayName, 128);
        ValidateGroups(validation, spec.Groups);
        if (validation.IsValid && await Escalation.RefuseGroupsAsync(http, db, realm, spec.Groups ?? [], cancellationToken) is { } escalation)
        {
            return escalation;
        }
        var secret = TokenService.NewSecret("dfs_");
        return await CreateAsync(realm, db, validation, new PrincipalRow
        {
            Id = Guid.CreateVersion7(), Realm = realm, Kind = PrincipalKinds.ServiceAccount, Name = spec.Name ?? "", DisplayName = spec.DisplayName,
            CreatedAt = time.GetUtcNow(), UpdatedAt = time.GetUtcNow(),
        }, spec.Groups, row => row.SecretHash = TokenService.HashSecret(secret),
            row => TypedResults.Created($"service-accounts/{row.Name}", new ServiceAccountCreated(row.Name, row.Name, secret, $"{issuer.For(realm)}/{OidcEndpoints.Protocol}/token")),
            cancellationToken);
    }

    private static async Task<IResult> CreateAsync(
        string realm, DflareDbContext db, Validation validation, PrincipalRow row, IReadOnlyList<string>? groups,
        Action<PrincipalRow> setSecret, Func<PrincipalRow, IResult> created, CancellationToken cancellationToken)
    {
        if (!validation.IsValid)
        {
            return Problem.Validation(validation.Errors);
        }
        if (await db.Principals.AnyAsync(p => p.Realm == realm && p.Name == row.Name, cancellationToken))
        {
            return Conflict(row.Name);
        }
        setSecret(row);
        db.Principals.Add(row);
        foreach (var group in (groups ?? []).Distinct(StringComparer.Ordinal))
        {
            db.GroupMembers.Add(new GroupMemberRow { Id = Guid.CreateVersion7(), Realm = realm, Group = group, PrincipalId = row.Id });
        }
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException ex) when (StoreErrors.IsUniqueViolation(ex))
        {
            return Conflict(row.Name);
        }
        return created(row);
    }

    private static async Task<IResult> DeleteAsync(string realm, string kind, string name, DflareDbContext db, CancellationToken cancellationToken)
    {
        var row = await db.Principals.FirstOrDefaultAsync(p => p.Realm == realm && p.Kind == kind && p.Name == name, cancellationToken);
        if (row is null)
        {
            return await RealmDirectory.ExistsAsync(db, realm, cancellationToken) ? Problem.NotFound(kind, name) : Problem.NotFound("Realm", realm);
        }
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.GroupMembers.Where(m => m.PrincipalId == row.Id).ExecuteDeleteAsync(cancellationToken);
        await db.RoleBindings.Where(b => b.Realm == realm && b.SubjectKind == kind && b.SubjectName == name).ExecuteDeleteAsync(cancellationToken);
        await db.RefreshTokens.Where(t => t.PrincipalId == row.Id).ExecuteDeleteAsync(cancellationToken);
        db.Principals.Remove(row);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<IResult> SetGroupsAsync(string realm, string kind, string name, HttpContext http, DflareDbContext db, CancellationToken cancellationToken)
    {
        var body = await RequestBodies.ReadAsync<GroupsSpec>(http, cancellationToken);
        if (body.Problem is not null)
        {
            return body.Problem;
        }
        var row = await db.Principals.AsNoTracking().FirstOrDefaultAsync(p => p.Realm == realm && p.Kind == kind && p.Name == name, cancellationToken);
        if (row is null)
        {
            return await RealmDirectory.ExistsAsync(db, realm, cancellationToken) ? Problem.NotFound(kind, name) : Problem.NotFound("Realm", realm);
        }
        var validation = new Validation();
        validation.Required("groups", body.Value!.Groups);
        ValidateGroups(validation, body.Value.Groups);
        if (!validation.IsValid)
        {
            return Problem.Validation(validation.Errors);
        }
        var groups = body.Value.Groups!.Distinct(StringComparer.Ordinal).ToList();
        if (await Escalation.RefuseGroupsAsync(http, db, realm, groups, cancellationToken) is { } escalation)
        {
            return escalation;
        }
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.GroupMembers.Where(m => m.PrincipalId == row.Id).ExecuteDeleteAsync(cancellationToken);
        db.GroupMembers.AddRange(groups.Select(g => new GroupMemberRow { Id = Guid.CreateVersion7(), Realm = realm, Group = g, PrincipalId = row.Id }));
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok(View(row, GroupMap(row, groups)));
    }

    private static async Task<IResult> ListGroupsAsync(string realm, DflareDbContext db, CancellationToken cancellationToken)
    {
        if (!await RealmDirectory.ExistsAsync(db, realm, cancellationToken))
        {
            return Problem.NotFound("Realm", realm);
        }
        var members = await (from m in db.GroupMembers.AsNoTracking()
                             join p in db.Principals.AsNoTracking() on m.PrincipalId equals p.Id
                             where m.Realm == realm
                             select new { m.Group, p.Name }).ToListAsync(cancellationToken);
        return TypedResults.Ok(new ItemList<GroupView>([.. members.GroupBy(m => m.Group).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new GroupView(g.Key, [.. g.Select(m => m.Name).Order(StringComparer.Ordinal)]))]));
    }

    internal static void ValidateName(Validation validation, string? name)
    {
        if (validation.Required("name", name) && (name!.Length > 63 || !Names.IsDnsLabel(name)))
        {
            validation.Add("name", FieldErrorCodes.InvalidFormat, "name must be a DNS label: lower-case letters, digits and '-', at most 63.");
        }
    }

    private static void ValidateGroups(Validation validation, IReadOnlyList<string>? groups)
    {
        for (var i = 0; i < (groups?.Count ?? 0); i++)
        {
            if (!Names.IsDnsLabel(groups![i]))
            {
                validation.Add($"groups[{i}]", FieldErrorCodes.InvalidFormat, $"groups[{i}] must be a DNS label.");
            }
        }
    }

    private static IResult Conflict(string name) => Problem.Of(StatusCodes.Status409Conflict, ProblemCodes.AlreadyExists,
        "The name is taken.", $"'{name}' already names a user or service account of this realm.");

    private static async Task<Dictionary<Guid, List<string>>> GroupsAsync(DflareDbContext db, List<Guid> ids, CancellationToken cancellationToken) =>
        (await db.GroupMembers.AsNoTracking().Where(m => ids.Contains(m.PrincipalId)).ToListAsync(cancellationToken))
            .GroupBy(m => m.PrincipalId).ToDictionary(g => g.Key, g => g.Select(m => m.Group).Order(StringComparer.Ordinal).ToList());

    private static Dictionary<Guid, List<string>> GroupMap(PrincipalRow row, IReadOnlyList<string>? groups) =>
        new() { [row.Id] = [.. (groups ?? []).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)] };

    private static PrincipalView View(PrincipalRow row, Dictionary<Guid, List<string>> groups) =>
        new(row.Name, row.Kind, row.DisplayName, row.Email, row.Disabled, groups.TryGetValue(row.Id, out var g) ? g : [], row.CreatedAt);
}
