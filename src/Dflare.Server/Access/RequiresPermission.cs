using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Dflare.Server.Access;

/// <summary>Where a route's object lives, for the policy decision point.</summary>
public enum PermissionScope
{
    /// <summary>The platform's own objects (inventory, the tenant list's writes).</summary>
    Platform,

    /// <summary>The tenant named by a route value (<see cref="RequiresPermission.TenantRouteValue"/>).</summary>
    Tenant,

    /// <summary>The caller's own tenant, or the whole platform for an operator: lists narrowed to what the caller may see.</summary>
    Caller,

    /// <summary>The realm named by a route value: a tenant's realm is that tenant, the platform realm the platform.</summary>
    Realm,
}

/// <summary>
/// Endpoint metadata: the permission a route needs and where its object lives. Every API route carries one (a test
/// fails otherwise); <see cref="AuthorizationGate"/> enforces it through the one policy decision point.
/// </summary>
public sealed record RequiresPermission(string Permission, PermissionScope Scope, string? TenantRouteValue = null, string? ProjectRouteValue = null)
{
    /// <summary>The kind a hidden object is reported missing as, exactly as its handler reports a missing one.</summary>
    public string HiddenKind => Scope == PermissionScope.Realm ? "Realm" : Dflare.Core.Tenancy.Tenant.KindName;
}

public static class PermissionEndpointExtensions
{
    public static TBuilder RequirePermission<TBuilder>(this TBuilder builder, string permission)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequiresPermission(permission, PermissionScope.Platform));

    public static TBuilder RequirePermissionInTenant<TBuilder>(this TBuilder builder, string permission, string tenantRouteValue, string? projectRouteValue = null)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequiresPermission(permission, PermissionScope.Tenant, tenantRouteValue, projectRouteValue));

    public static TBuilder RequirePermissionInRealm<TBuilder>(this TBuilder builder, string permission, string realmRouteValue = "realm")
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequiresPermission(permission, PermissionScope.Realm, realmRouteValue));

    public static TBuilder RequirePermissionForCaller<TBuilder>(this TBuilder builder, string permission)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequiresPermission(permission, PermissionScope.Caller));

    /// <summary>The caller's subject once the gate has let the request through.</summary>
    public static Dflare.Core.Identity.AccessSubject Subject(this HttpContext http) =>
        (Dflare.Core.Identity.AccessSubject)http.Items[typeof(Dflare.Core.Identity.AccessSubject)]!;
}
