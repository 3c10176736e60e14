using Dflare.Core.Tenancy;
using Dflare.Persistence.Store;
using Dflare.Persistence.Tenancy;
using Dflare.Server.Api.Problems;
using Dflare.Server.Api.Resources;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Dflare.Server.Api.Tenancy;

/// <summary><c>/api/v1/tenants</c> (operator-managed) and <c>/api/v1/tenants/{tenant}/projects</c> (tenant-owned).</summary>
public static class TenancyEndpoints
{
    public static void MapTenancy(this RouteGroupBuilder api)
    {
        api.MapGroup("/tenants").MapResource(new TenantKind(), ScopeResolvers.Platform);
        api.MapGroup("/tenants/{tenant}/projects").MapResource(new ProjectKind(), ResolveTenantAsync);
    }

    private static async Task<(TenantRow?, IResult?)> ResolveTenantAsync(HttpContext http, DflareDbContext db, CancellationToken cancellationToken)
    {
        var name = (string)http.Request.RouteValues["tenant"]!;
        var tenant = await db.Tenants.AsNoTracking().FirstOrDefaultAsync(t => t.Name == name, cancellationToken);
        return tenant is null ? (null, Problem.NotFound(Tenant.KindName, name)) : (tenant, null);
    }
}
