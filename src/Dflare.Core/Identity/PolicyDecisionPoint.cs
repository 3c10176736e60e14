using System.Collections.Concurrent;
using System.Text.Json;
using Dflare.Persistence.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Dflare.Core.Identity;

/// <summary>What is asked: a permission on something that lives in a tenant (and maybe a project), or on the platform.</summary>
public sealed record AccessRequest(string Permission, string? Tenant, string? Project, IReadOnlyDictionary<string, IReadOnlyList<string>>? Attributes = null)
{
    /// <summary>Attributes that cost a read (the object's labels), fetched only when a policy's condition asks for one.</summary>
    public Func<CancellationToken, Task<IReadOnlyDictionary<string, IReadOnlyList<string>>>>? LoadAttributes { get; init; }
}

/// <summary>
/// The answer. <see cref="HideExistence"/> is set when the subject may not know the object exists (another tenant's):
/// the API then answers 404, exactly as for a missing object.
/// </summary>
public sealed record AccessDecision(bool Allowed, bool HideExistence, string Reason)
{
    public static AccessDecision Allow(string reason) => new(true, false, reason);

    public static AccessDecision Deny(string reason, bool hide = false) => new(false, hide, reason);
}

/// <summary>
/// The one place that decides who may do what. Roles (built-in, or a realm's custom roles) grant permissions over a
/// realm or a project; attribute policies of the realm that owns the object, and of the platform, add allows and
/// denies with conditions; a matching deny wins. Tenants never reach beyond their own tenant, whatever a policy says.
/// Every decision is logged.
/// </summary>
public sealed partial class PolicyDecisionPoint(IServiceScopeFactory scopes, TimeProvider time, ILogger<PolicyDecisionPoint> logger)
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);
    private readonly ConcurrentDictionary<string, RealmRules> _rules = new(StringComparer.Ordinal);

    public async Task<AccessDecision> DecideAsync(AccessSubject subject, AccessRequest request, CancellationToken cancellationToken)
    {
        var decision = await DecideCoreAsync(subject, request, cancellationToken);
        if (decision.Allowed)
        {
            LogAllowed(logger, subject.Actor, request.Permission, request.Tenant ?? "-", request.Project ?? "-", decision.Reason);
        }
        else
        {
            LogDenied(logger, subject.Actor, request.Permission, request.Tenant ?? "-", request.Project ?? "-", decision.Reason);
        }
        return decision;
    }

    /// <summary>Forget cached custom roles and policies of a realm (after they change here).</summary>
    public void Invalidate(string realm) => _rules.TryRemove(realm, out _);

    private async Task<AccessDecision> DecideCoreAsync(AccessSubject subject, AccessRequest request, CancellationToken cancellationToken)
    {
        if (subject.Tenant is { } own)
        {
            if (request.Tenant is null)
            {
                return AccessDecision.Deny($"{request.Permission} on the platform is for operators");
            }
            if (request.Tenant != own)
            {
                return AccessDecision.Deny("the object belongs to another tenant", hide: true);
            }
            if (Permissions.PlatformOnly.Contains(request.Permission))
            {
                return AccessDecision.Deny($"{request.Permission} is for operators");
            }
        }
        var attributes = Attributes(subject, request);
        // The caller's realm's policies, and the platform's over everyone. A tenant's policies never bind operators:
        // a tenant cannot lock the platform out of its own objects.
        var subjectRules = await RulesAsync(subject.Realm, cancellationToken);
        var platformRules = subject.Realm == Realms.Platform ? null : await RulesAsync(Realms.Platform, cancellationToken);
        var policies = subjectRules.Policies.Select(p => (Policy: p, Own: true)).Concat((platformRules?.Policies ?? []).Select(p => (Policy: p, Own: false)))
            .Where(x => x.Policy.Permissions.Contains("*") || x.Policy.Permissions.Contains(request.Permission))
            .ToList();
        if (request.LoadAttributes is not null && policies.Any(p => p.Policy.Conditions.Any(c => !attributes.ContainsKey(c.Attribute))))
        {
            foreach (var (key, value) in await request.LoadAttributes(cancellationToken))
            {
                attributes.TryAdd(key, value);
            }
        }
        if (policies.FirstOrDefault(p => p.Policy.Deny && AccessConditions.All(p.Policy.Conditions, attributes)) is { Policy: not null } deny)
        {
            // Tenants learn the names of their own realm's policies, not the platform's.
            return AccessDecision.Deny(deny.Own ? $"policy '{deny.Policy.Name}' denies it" : "a platform policy denies it");
        }
        foreach (var grant in subject.Roles)
        {
            var reaches = grant.Project is null || grant.Project == request.Project
                // A project's members see the tenant and the project list (narrowed to their projects).
                || (request.Project is null && request.Permission is Permissions.TenantsRead or Permissions.ProjectsRead);
            if (reaches && PermissionsOf(grant.Role, subject.Realm, subjectRules).Contains(request.Permission))
            {
                return AccessDecision.Allow($"role {grant}");
            }
        }
        if (policies.FirstOrDefault(p => !p.Policy.Deny && AccessConditions.All(p.Policy.Conditions, attributes)) is { Policy: not null } allow)
        {
            return AccessDecision.Allow($"policy '{allow.Policy.Name}'");
        }
        return AccessDecision.Deny(subject.Roles.Count == 0 ? "no role is bound to the caller" : $"no role of the caller grants {request.Permission}");
    }

    /// <summary>Whether one of the caller's realm-wide grants (not a project's) gives <paramref name="permission"/>.</summary>
    public async Task<bool> GrantsRealmWideAsync(AccessSubject subject, string permission, CancellationToken cancellationToken)
    {
        var rules = await RulesAsync(subject.Realm, cancellationToken);
        return subject.Roles.Any(g => g.Project is null && PermissionsOf(g.Role, subject.Realm, rules).Contains(permission));
    }

    private static IReadOnlySet<string> PermissionsOf(string role, string realm, RealmRules rules)
    {
        if (role == BuiltInRoles.PlatformAdmin && realm != Realms.Platform)
        {
            return new HashSet<string>();
        }
        return BuiltInRoles.Permissions.TryGetValue(role, out var builtIn) ? builtIn
            : rules.CustomRoles.TryGetValue(role, out var custom) ? custom : new HashSet<string>();
    }

    private Dictionary<string, IReadOnlyList<string>> Attributes(AccessSubject subject, AccessRequest request)
    {
        var now = time.GetUtcNow();
        var attributes = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal)
        {
            ["subject.realm"] = [subject.Realm],
            ["subject.name"] = [subject.Name],
            ["subject.kind"] = [subject.Kind],
            ["subject.groups"] = subject.Groups,
            ["subject.roles"] = [.. subject.Roles.Select(r => r.ToString())],
            ["request.permission"] = [request.Permission],
            ["request.hour"] = [now.Hour.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            ["request.weekday"] = [now.DayOfWeek.ToString()],
        };
        if (request.Tenant is not null)
        {
            attributes["resource.tenant"] = [request.Tenant];
        }
        if (request.Project is not null)
        {
            attributes["resource.project"] = [request.Project];
        }
        foreach (var (key, value) in request.Attributes ?? new Dictionary<string, IReadOnlyList<string>>())
        {
            attributes[key] = value;
        }
        return attributes;
    }

    private async Task<RealmRules> RulesAsync(string realm, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_rules.TryGetValue(realm, out var cached) && now - cached.ReadAt < CacheFor)
        {
            return cached;
        }
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DflareDbContext>();
        var roles = await db.CustomRoles.AsNoTracking().Where(r => r.Realm == realm).ToListAsync(cancellationToken);
        var policies = await db.AccessPolicies.AsNoTracking().Where(p => p.Realm == realm).ToListAsync(cancellationToken);
        var fresh = new RealmRules(
            now,
            roles.ToDictionary(r => r.Name, r => (IReadOnlySet<string>)new HashSet<string>(JsonSerializer.Deserialize<string[]>(r.Permissions) ?? [], StringComparer.Ordinal), StringComparer.Ordinal),
            [.. policies.Select(p => new Policy(
                p.Name, p.Effect == PolicyEffects.Deny,
                new HashSet<string>(JsonSerializer.Deserialize<string[]>(p.Permissions) ?? [], StringComparer.Ordinal),
                JsonSerializer.Deserialize<AccessCondition[]>(p.Conditions, ConditionJson) ?? []))]);
        _rules[realm] = fresh;
        return fresh;
    }

    public static readonly JsonSerializerOptions ConditionJson = new(JsonSerializerDefaults.Web);

    private sealed record Policy(string Name, bool Deny, IReadOnlySet<string> Permissions, IReadOnlyList<AccessCondition> Conditions);

    private sealed record RealmRules(DateTimeOffset ReadAt, IReadOnlyDictionary<string, IReadOnlySet<string>> CustomRoles, IReadOnlyList<Policy> Policies);

    [LoggerMessage(1, LogLevel.Debug, "Access allowed: {Actor} {Permission} on tenant {Tenant} project {Project} ({Reason})")]
    private static partial void LogAllowed(ILogger logger, string actor, string permission, string tenant, string project, string reason);

    [LoggerMessage(2, LogLevel.Information, "Access denied: {Actor} {Permission} on tenant {Tenant} project {Project} ({Reason})")]
    private static partial void LogDenied(ILogger logger, string actor, string permission, string tenant, string project, string reason);
}

public static class PolicyEffects
{
    public const string Allow = "Allow";
    public const string Deny = "Deny";
}
