using Dflare.Server.Access;
using Microsoft.AspNetCore.Http;

namespace Dflare.Server.Api.Resources;

/// <summary>The permission each route of a resource kind needs (lists are narrowed by a <see cref="ListNarrowing{TRow}"/>).</summary>
public sealed record ResourceAccess(
    RequiresPermission List, RequiresPermission Get, RequiresPermission Create, RequiresPermission Replace, RequiresPermission Delete)
{
    /// <summary>Operator-owned kinds: inventory, images.</summary>
    public static ResourceAccess Platform(string read, string write) => new(
        new(read, PermissionScope.Platform), new(read, PermissionScope.Platform), new(write, PermissionScope.Platform),
        new(write, PermissionScope.Platform), new(write, PermissionScope.Platform));

    /// <summary>Kinds under <c>/tenants/{tenant}/…</c>, each object a project-level thing named by <c>{name}</c> when <paramref name="objectIsProject"/>.</summary>
    public static ResourceAccess InTenant(string read, string create, string update, string delete, bool objectIsProject) => new(
        new(read, PermissionScope.Tenant, "tenant"),
        new(read, PermissionScope.Tenant, "tenant", objectIsProject ? "name" : null),
        new(create, PermissionScope.Tenant, "tenant"),
        new(update, PermissionScope.Tenant, "tenant", objectIsProject ? "name" : null),
        new(delete, PermissionScope.Tenant, "tenant", objectIsProject ? "name" : null));
}

/// <summary>Narrows a list query to what the caller may see.</summary>
public delegate Task<IQueryable<TRow>> ListNarrowing<TRow>(HttpContext http, IQueryable<TRow> rows);
