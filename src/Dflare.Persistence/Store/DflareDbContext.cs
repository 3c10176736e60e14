using Dflare.Persistence.Access;
using Dflare.Persistence.Api;
using Dflare.Persistence.Identity;
using Dflare.Persistence.Inventory;
using Dflare.Persistence.Provisioning;
using Dflare.Persistence.Tenancy;
using Dflare.Persistence.Metering;
using Dflare.Persistence.Network;
using Dflare.Persistence.Volumes;
using Dflare.Persistence.Workflows;
using Microsoft.EntityFrameworkCore;

namespace Dflare.Persistence.Store;

/// <summary>
/// The one model of the state store. Each provider derives from it only to own its migrations, so that SQLite and
/// PostgreSQL share every table, key and constraint.
/// </summary>
public abstract class DflareDbContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<TenantRow> Tenants => Set<TenantRow>();

    public DbSet<ProjectRow> Projects => Set<ProjectRow>();

    public DbSet<IdempotencyRecordRow> IdempotencyRecords => Set<IdempotencyRecordRow>();

    public DbSet<AdminCredentialRow> AdminCredentials => Set<AdminCredentialRow>();

    public DbSet<SiteRow> Sites => Set<SiteRow>();

    public DbSet<RackRow> Racks => Set<RackRow>();

    public DbSet<SkuRow> Skus => Set<SkuRow>();

    public DbSet<NodeRow> Nodes => Set<NodeRow>();

    public DbSet<NodeGpuRow> NodeGpus => Set<NodeGpuRow>();

    public DbSet<NodeTransitionRow> NodeTransitions => Set<NodeTransitionRow>();

    public DbSet<ImageRow> Images => Set<ImageRow>();

    public DbSet<NodeAgentRow> NodeAgents => Set<NodeAgentRow>();

    public DbSet<NodeBootRow> NodeBoots => Set<NodeBootRow>();

    public DbSet<BootstrapTokenRow> BootstrapTokens => Set<BootstrapTokenRow>();

    public DbSet<CertificateAuthorityRow> CertificateAuthorities => Set<CertificateAuthorityRow>();

    public DbSet<WorkflowRunRow> WorkflowRuns => Set<WorkflowRunRow>();

    public DbSet<WorkflowStepRow> WorkflowSteps => Set<WorkflowStepRow>();

    public DbSet<WorkflowEventRow> WorkflowEvents => Set<WorkflowEventRow>();

    public DbSet<RealmKeyRow> RealmKeys => Set<RealmKeyRow>();

    public DbSet<PrincipalRow> Principals => Set<PrincipalRow>();

    public DbSet<GroupMemberRow> GroupMembers => Set<GroupMemberRow>();

    public DbSet<RoleBindingRow> RoleBindings => Set<RoleBindingRow>();

    public DbSet<RefreshTokenRow> RefreshTokens => Set<RefreshTokenRow>();

    public DbSet<DeviceAuthorizationRow> DeviceAuthorizations => Set<DeviceAuthorizationRow>();

    public DbSet<AuthorizationCodeRow> AuthorizationCodes => Set<AuthorizationCodeRow>();

    public DbSet<DataProtectionKeyRow> DataProtectionKeys => Set<DataProtectionKeyRow>();

    public DbSet<CustomRoleRow> CustomRoles => Set<CustomRoleRow>();

    public DbSet<AccessPolicyRow> AccessPolicies => Set<AccessPolicyRow>();

    public DbSet<RealmFederationRow> RealmFederations => Set<RealmFederationRow>();

    public DbSet<AuditEntryRow> AuditEntries => Set<AuditEntryRow>();

    public DbSet<AuditCheckpointRow> AuditCheckpoints => Set<AuditCheckpointRow>();

    public DbSet<StorageBackendRow> StorageBackends => Set<StorageBackendRow>();

    public DbSet<VolumeRow> Volumes => Set<VolumeRow>();

    public DbSet<FabricRow> Fabrics => Set<FabricRow>();

    public DbSet<NetworkPoolRow> NetworkPools => Set<NetworkPoolRow>();

    public DbSet<NetworkAllocationRow> NetworkAllocations => Set<NetworkAllocationRow>();

    public DbSet<VpcRow> Vpcs => Set<VpcRow>();

    public DbSet<SubnetRow> Subnets => Set<SubnetRow>();

    public DbSet<NetworkAttachmentRow> NetworkAttachments => Set<NetworkAttachmentRow>();

    public DbSet<PartitionRow> Partitions => Set<PartitionRow>();

    public DbSet<PartitionMemberRow> PartitionMembers => Set<PartitionMemberRow>();

    public DbSet<UsageEventRow> UsageEvents => Set<UsageEventRow>();

    public DbSet<BillingRecordRow> BillingRecords => Set<BillingRecordRow>();

    public DbSet<PriceBookRow> PriceBooks => Set<PriceBookRow>();

    public DbSet<BudgetRow> Budgets => Set<BudgetRow>();

    public DbSet<BudgetAlertRow> BudgetAlerts => Set<BudgetAlertRow>();

    public DbSet<Clusters.ClusterRow> Clusters => Set<Clusters.ClusterRow>();

    public DbSet<Clusters.NodeAllocationRow> NodeAllocations => Set<Clusters.NodeAllocationRow>();

    public DbSet<Clusters.ClusterMountRow> ClusterMounts => Set<Clusters.ClusterMountRow>();

    public DbSet<Clusters.TenantQuotaRow> TenantQuotas => Set<Clusters.TenantQuotaRow>();

    public DbSet<Clusters.PlacementLockRow> PlacementLock => Set<Clusters.PlacementLockRow>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(DflareDbContext).Assembly);
        SnakeCaseNames.Apply(modelBuilder);
    }
}
