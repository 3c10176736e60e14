namespace Dflare.Core.Identity;

/// <summary>
/// Every permission a route can require. Platform permissions act on what the operator owns (inventory, tenants as
/// a whole); tenant permissions act inside one tenant and are granted by tenant roles.
/// </summary>
public static class Permissions
{
    public const string TenantsRead = "tenants.read";
    public const string TenantsCreate = "tenants.create";
    public const string TenantsUpdate = "tenants.update";
    public const string TenantsDelete = "tenants.delete";
    public const string ProjectsRead = "projects.read";
    public const string ProjectsCreate = "projects.create";
    public const string ProjectsUpdate = "projects.update";
    public const string ProjectsDelete = "projects.delete";
    public const string IdentityRead = "identity.read";
    public const string IdentityManage = "identity.manage";
    public const string AuditRead = "audit.read";
    public const string AuditVerify = "audit.verify";
    public const string BillingRead = "billing.read";
    /// <summary>Price books: what every tenant pays.</summary>
    public const string BillingManage = "billing.manage";
    public const string BudgetsWrite = "budgets.write";
    /// <summary>Sending usage events: telemetry collectors and the control plane's own services.</summary>
    public const string MeteringIngest = "metering.ingest";
    public const string ClustersRead = "clusters.read";
    public const string ClustersCreate = "clusters.create";
    public const string ClustersDelete = "clusters.delete";
    public const string ClustersUpdate = "clusters.update";
    /// <summary>Reading a cluster's access details (kubeconfig, Slurm controller and configuration).</summary>
    public const string ClustersAccess = "clusters.access";
    /// <summary>Setting tenants' GPU quotas.</summary>
    public const string QuotasManage = "quotas.manage";
    public const string VolumesRead = "volumes.read";
    public const string VolumesCreate = "volumes.create";
    public const string VolumesUpdate = "volumes.update";
    public const string VolumesDelete = "volumes.delete";
    public const string NetworksRead = "networks.read";
    public const string NetworksCreate = "networks.create";
    public const string NetworksUpdate = "networks.update";
    public const string NetworksDelete = "networks.delete";
    /// <summary>Putting nodes on a tenant's subnets: nodes are the operator's until clusters hand them to tenants.</summary>
    public const string NetworksAttach = "networks.attach";
    public const string InventoryRead = "inventory.read";
    public const string InventoryWrite = "inventory.write";
    public const string NodesOperate = "nodes.operate";
    public const string OperationsRead = "operations.read";
    public const string OperationsCancel = "operations.cancel";
    public const string RealmKeysRotate = "realms.rotate-keys";
    /// <summary>Setting a realm's external provider: the control plane then fetches from that address, so operators decide.</summary>
    public const string RealmsFederate = "realms.federate";

    /// <summary>Only the platform realm can hold these: they reach beyond one tenant.</summary>
    public static readonly IReadOnlySet<string> PlatformOnly = new HashSet<string>(StringComparer.Ordinal)
    {
        TenantsCreate, TenantsUpdate, TenantsDelete, InventoryRead, InventoryWrite, NodesOperate, OperationsRead,
        OperationsCancel, AuditVerify, RealmKeysRotate, RealmsFederate, NetworksAttach, BillingManage, MeteringIngest, QuotasManage,
    };

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal)
    {
        TenantsRead, TenantsCreate, TenantsUpdate, TenantsDelete, ProjectsRead, ProjectsCreate, ProjectsUpdate,
        ProjectsDelete, IdentityRead, IdentityManage, AuditRead, AuditVerify, BillingRead, ClustersRead, ClustersCreate,
        ClustersDelete, VolumesRead, VolumesCreate, VolumesUpdate, VolumesDelete, InventoryRead, InventoryWrite, NodesOperate,
        OperationsRead, OperationsCancel, RealmKeysRotate, RealmsFederate, NetworksRead, NetworksCreate, NetworksUpdate,
        NetworksDelete, NetworksAttach, BillingManage, BudgetsWrite, MeteringIngest, ClustersUpdate, ClustersAccess, QuotasManage,
    };
}
