namespace Dflare.Core.Identity;

/// <summary>The roles every realm has. Custom roles add named sets of tenant permissions next to them.</summary>
public static class BuiltInRoles
{
    public const string PlatformAdmin = "platform-admin";
    public const string TenantAdmin = "tenant-admin";
    public const string Member = "member";
    public const string Viewer = "viewer";
    public const string BillingViewer = "billing-viewer";

    public static readonly IReadOnlyDictionary<string, IReadOnlySet<string>> Permissions = new Dictionary<string, IReadOnlySet<string>>(StringComparer.Ordinal)
    {
        [PlatformAdmin] = Identity.Permissions.All,
        [TenantAdmin] = Set(
            Identity.Permissions.TenantsRead, Identity.Permissions.ProjectsRead, Identity.Permissions.ProjectsCreate,
            Identity.Permissions.ProjectsUpdate, Identity.Permissions.ProjectsDelete, Identity.Permissions.IdentityRead,
            Identity.Permissions.IdentityManage, Identity.Permissions.AuditRead, Identity.Permissions.BillingRead,
            Identity.Permissions.ClustersRead, Identity.Permissions.ClustersCreate, Identity.Permissions.ClustersDelete,
            Identity.Permissions.ClustersUpdate, Identity.Permissions.ClustersAccess, Identity.Permissions.VolumesRead, Identity.Permissions.VolumesCreate, Identity.Permissions.VolumesUpdate, Identity.Permissions.VolumesDelete,
            Identity.Permissions.NetworksRead, Identity.Permissions.NetworksCreate, Identity.Permissions.NetworksUpdate, Identity.Permissions.NetworksDelete,
            Identity.Permissions.BudgetsWrite),
        [Member] = Set(
            Identity.Permissions.TenantsRead, Identity.Permissions.ProjectsRead, Identity.Permissions.ClustersRead,
            Identity.Permissions.ClustersCreate, Identity.Permissions.ClustersDelete, Identity.Permissions.ClustersUpdate,
            Identity.Permissions.ClustersAccess, Identity.Permissions.VolumesRead,
            Identity.Permissions.VolumesCreate, Identity.Permissions.VolumesUpdate, Identity.Permissions.VolumesDelete, Identity.Permissions.NetworksRead),
        [Viewer] = Set(Identity.Permissions.TenantsRead, Identity.Permissions.ProjectsRead, Identity.Permissions.ClustersRead, Identity.Permissions.VolumesRead,
            Identity.Permissions.NetworksRead),
        [BillingViewer] = Set(Identity.Permissions.TenantsRead, Identity.Permissions.BillingRead),
    };

    /// <summary>Roles a tenant realm may bind (platform-admin belongs to the platform realm alone).</summary>
    public static readonly IReadOnlySet<string> TenantRoles = Set(TenantAdmin, Member, Viewer, BillingViewer);

    private static HashSet<string> Set(params string[] permissions) => new(permissions, StringComparer.Ordinal);
}
