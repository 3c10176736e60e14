using Dflare.Core.Identity;
using Dflare.Core.Tenancy;
using Dflare.Persistence.Store;
using Dflare.Persistence.Tenancy;
using Dflare.Server.Access;
using Dflare.Server.Api.Problems;
using Dflare.Server.Api.Resources;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dflare.Server.Api.Tenancy;

/// <summary><c>/api/v1/tenants</c> (operator-managed) and <c>/api/v1/tenants/{tenant}/projects</c> (tenant-owned).</summary>
public static class TenancyEndpoints
{
    public static void MapTenancy(this RouteGroupBuilder api)
    {
        var tenants = new ResourceAccess(
            new(Permissions.TenantsRead, PermissionScope.Caller),
            new(Permissions.TenantsRead, PermissionScope.Tenant, "name"),
            new(Permissions.TenantsCreate, PermissionScope.Platform),
            new(Permissions.TenantsUpdate, PermissionScope.Tenant, "name"),
            new(Permissions.TenantsDelete, PermissionScope.Tenant, "name"));
        api.MapGroup("/tenants").MapResource(new TenantKind(), ScopeResolvers.Platform, tenants, OwnTenantOnly);
        var projects = ResourceAccess.InTenant(
            Permissions.ProjectsRead, Permissions.ProjectsCreate, Permissions.ProjectsUpdate, Permissions.ProjectsDelete, objectIsProject: true);
        api.MapGroup("/tenants/{tenant}/projects").MapResource(new ProjectKind(), ResolveTenantAsync, projects, GrantedProjectsOnly);
    }

    /// <summary>A tenant's people see their own tenant in the list, operators every tenant.</summary>
    private static Task<IQueryable<TenantRow>> OwnTenantOnly(HttpContext http, IQueryable<TenantRow> rows) =>
        Task.FromResult(http.Subject().Tenant is { } own ? rows.Where(t => t.Name == own) : rows);

    /// <summary>Someone bound to some projects only sees those; a tenant-wide role that reads projects sees them all.</summary>
    private static async Task<IQueryable<ProjectRow>> GrantedProjectsOnly(HttpContext http, IQueryable<ProjectRow> rows)
    {
        var subject = http.Subject();
        if (subject.Tenant is null
            || await http.RequestServices.GetRequiredService<PolicyDecisionPoint>().GrantsRealmWideAsync(subject, Permissions.ProjectsRead, http.RequestAborted))
        {
            return rows;
        }
        var granted = subject.Roles.Select(r => r.Project!).Distinct().ToList();
        return rows.Where(p => granted.Contains(p.Name));
    }

    /// <summary>The tenant named by <c>{tenant}</c>, or its 404.</summary>
    public static async Task<(TenantRow?, IResult?)> ResolveTenantAsync(HttpContext http, DflareDbContext db, CancellationToken cancellationToken)
    {
        var name = (string)http.Request.RouteValues["tenant"]!;
        var tenant = await db.Tenants.AsNoTracking().FirstOrDefaultAsync(t => t.Name == name, cancellationToken);
        return tenant is null ? (null, Problem.NotFound(Tenant.KindName, name)) : (tenant, null);
    }
}
