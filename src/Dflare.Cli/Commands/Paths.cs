using Dflare.Cli.Config;
using Dflare.Cli.Resources;

namespace Dflare.Cli.Commands;

/// <summary>Where a kind's objects are for this session: tenant-owned kinds under the tenant; operations under a
/// tenant realm's own tenant or the one <c>--tenant</c> names (what tenants may read), else — operators — the list of
/// every operation, nodes' and fabrics' included.</summary>
public static class Paths
{
    public static string Collection(Session session, ResourceType type, string? tenantFlag)
    {
        if (type == ResourceTypes.Operations)
        {
            var tenant = tenantFlag ?? (session.Context.Realm == "platform" ? null : session.Context.Tenant);
            return tenant is null ? "operations" : $"tenants/{tenant}/operations";
        }
        return type.Collection(type.Scope == ResourceScope.Tenant ? session.Tenant(tenantFlag) : null);
    }

    public static string Operation(Session session, string? tenant, string id) =>
        tenant is null ? $"operations/{id}" : $"tenants/{tenant}/operations/{id}";
}
