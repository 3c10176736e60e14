using Dflare.Core.Identity;
using Dflare.Core.Resources;
using Dflare.Persistence.Store;
using Dflare.Server.Api.Problems;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dflare.Server.Access;

/// <summary>
/// Enforces each route's <see cref="RequiresPermission"/> through the <see cref="PolicyDecisionPoint"/>. Runs after
/// authentication and the fallback policy, so every caller here is known. A denial the caller may not even learn
/// about (another tenant's object) answers exactly the 404 a missing tenant answers.
/// </summary>
internal sealed class AuthorizationGate(RequestDelegate next, PolicyDecisionPoint decisions)
{
    public static readonly object DecisionKey = new();

    public async Task InvokeAsync(HttpContext http)
    {
        var requirement = http.GetEndpoint()?.Metadata.GetMetadata<RequiresPermission>();
        if (requirement is null)
        {
            await next(http); // a route without a permission has its own authentication (a test holds every API route to one)
            return;
        }
        if (AccessSubject.From(http.User) is not { } subject)
        {
            // Fail closed: a principal that no realm vouches for never reaches an API route.
            await Problem.Of(StatusCodes.Status403Forbidden, ProblemCodes.Forbidden, "Not allowed.", "The caller is not a realm's principal.").ExecuteAsync(http);
            return;
        }
        var tenant = requirement.Scope switch
        {
            PermissionScope.Tenant => http.Request.RouteValues[requirement.TenantRouteValue!] as string,
            PermissionScope.Caller => subject.Tenant,
            PermissionScope.Realm => http.Request.RouteValues[requirement.TenantRouteValue!] is string realm ? Realms.TenantOf(realm) : null,
            _ => null,
        };
        var project = requirement.ProjectRouteValue is { } p ? http.Request.RouteValues[p] as string : null;
        var request = RequestFor(http, requirement.Permission, tenant, project);
        var decision = await decisions.DecideAsync(subject, request, http.RequestAborted);
        http.Items[DecisionKey] = new GateDecision(request, decision);
        http.Items[typeof(AccessSubject)] = subject;
        if (decision.Allowed)
        {
            await next(http);
            return;
        }
        var refusal = decision.HideExistence
            ? Problem.NotFound(requirement.HiddenKind, (string)http.Request.RouteValues[requirement.TenantRouteValue!]!)
            : Problem.Of(StatusCodes.Status403Forbidden, ProblemCodes.Forbidden, "Not allowed.", $"{requirement.Permission} is not granted: {decision.Reason}.");
        await refusal.ExecuteAsync(http);
    }

    /// <summary>What the policy decision point is asked about a request: the permission, where, and the attributes
    /// policies may speak of (the request's, and the object's labels when a policy asks). Handlers that decide per
    /// object (a tenant's operations) ask the same way, so no policy is skipped.</summary>
    internal static AccessRequest RequestFor(HttpContext http, string permission, string? tenant, string? project) =>
        new(permission, tenant, project, RequestAttributes(http))
        {
            LoadAttributes = tenant is null ? null : ct => LabelAttributesAsync(http, tenant, project, ct),
        };

    /// <summary><c>resource.tenantLabels.*</c> and <c>resource.labels.*</c> (the project's, else the tenant's).</summary>
    private static async Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> LabelAttributesAsync(
        HttpContext http, string tenant, string? project, CancellationToken cancellationToken)
    {
        var db = http.RequestServices.GetRequiredService<DflareDbContext>();
        var tenantLabels = await db.Tenants.AsNoTracking().Where(t => t.Name == tenant).Select(t => t.Labels).FirstOrDefaultAsync(cancellationToken);
        var projectLabels = project is null ? null : await db.Projects.AsNoTracking()
            .Where(p => p.Name == project && db.Tenants.Any(t => t.Id == p.TenantId && t.Name == tenant)).Select(p => p.Labels).FirstOrDefaultAsync(cancellationToken);
        var attributes = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var (key, value) in Envelope.LabelsFromJson(tenantLabels ?? "{}"))
        {
            attributes[$"resource.tenantLabels.{key}"] = [value];
        }
        foreach (var (key, value) in Envelope.LabelsFromJson(projectLabels ?? (project is null ? tenantLabels : null) ?? "{}"))
        {
            attributes[$"resource.labels.{key}"] = [value];
        }
        return attributes;
    }

    private static Dictionary<string, IReadOnlyList<string>> RequestAttributes(HttpContext http)
    {
        var attributes = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal) { ["request.method"] = [http.Request.Method] };
        if (http.Connection.RemoteIpAddress is { } ip)
        {
            attributes["request.ip"] = [ip.ToString()];
        }
        return attributes;
    }
}

internal sealed record GateDecision(AccessRequest Request, AccessDecision Decision);
