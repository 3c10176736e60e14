using System.Globalization;
using System.Text;

namespace Dflare.Core.Clusters;

/// <summary>Where a rendering runs: production hosts (munge and cgroups as installed, slurmdbd on the controller) or
/// the Linux lab (every slurmd on loopback with its own port, fake GPU device files, no accounting daemon).</summary>
/// <remarks><c>Directory</c>: Lab: the directory holding state, spool, logs, pid files and the GPU device files. <c>ControllerPort</c>: slurmctld's port; lab slurmd ports follow it (+1 for each node, by name).</remarks>
public sealed record SlurmRenderOptions(
    bool Lab, string? Directory = null, string? MungeSocket = null, string? Hostname = null, int ControllerPort = 6817, int? AccountingPort = null, int? DatabasePort = null)
{
    public static readonly SlurmRenderOptions Production = new(Lab: false);
}

/// <summary>
/// Renders a cluster's Slurm configuration from its plan: <c>slurm.conf</c> (nodes with their GPU GRES, partitions,
/// fair-share priority), <c>gres.conf</c>, <c>cgroup.conf</c>, <c>topology.conf</c> (the tree of the fabric's leaves)
/// and the <c>sacctmgr</c> commands for the tenant's accounts, QoS and users (applied where slurmdbd runs).
/// </summary>
public static class SlurmRenderer
{
    public static IReadOnlyDictionary<string, string> All(ClusterPlan plan, SlurmRenderOptions options) => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["slurm.conf"] = SlurmConf(plan, options),
        ["gres.conf"] = GresConf(plan, options),
        ["cgroup.conf"] = CgroupConf(),
        ["topology.conf"] = TopologyConf(plan),
        ["accounts.sh"] = Accounts(plan),
        ["slurmdbd.conf"] = SlurmdbdConf(plan, options),
    };

    /// <summary>The accounting daemon's configuration: the lab's talks to the cluster's own MariaDB on loopback as root;
    /// production's to the site's database, whose password the site adds (<c>StoragePass</c>) from its secret store.</summary>
    public static string SlurmdbdConf(ClusterPlan plan, SlurmRenderOptions options)
    {
        var lab = options.Lab;
        var b = new StringBuilder();
        b.AppendLine(CultureInfo.InvariantCulture, $"# Rendered by Dflare for cluster {plan.Tenant}/{plan.Name} ({plan.Id}).");
        b.AppendLine("AuthType=auth/munge");
        if (options.MungeSocket is { } socket)
        {
            b.AppendLine(CultureInfo.InvariantCulture, $"AuthInfo=socket={socket}");
        }
        b.AppendLine(lab ? "DbdHost=localhost" : string.Create(CultureInfo.InvariantCulture, $"DbdHost={plan.ControlPlane[0].Name}"));
        b.AppendLine(lab ? "DbdAddr=127.0.0.1" : string.Create(CultureInfo.InvariantCulture, $"DbdAddr={plan.ControlPlane[0].Address}"));
        b.AppendLine(CultureInfo.InvariantCulture, $"DbdPort={options.AccountingPort ?? 6819}");
        b.AppendLine(lab ? "SlurmUser=root" : "SlurmUser=slurm");
        b.AppendLine(CultureInfo.InvariantCulture, $"PidFile={(lab ? $"{options.Directory}/slurmdbd.pid" : "/run/slurmdbd.pid")}");
        b.AppendLine(CultureInfo.InvariantCulture, $"LogFile={(lab ? $"{options.Directory}/log/slurmdbd.log" : "/var/log/slurm/slurmdbd.log")}");
        b.AppendLine("StorageType=accounting_storage/mysql");
        b.AppendLine("StorageHost=127.0.0.1");
        b.AppendLine(CultureInfo.InvariantCulture, $"StoragePort={options.DatabasePort ?? 3306}");
        b.AppendLine(lab ? "StorageUser=root" : "StorageUser=slurm");
        b.AppendLine(CultureInfo.InvariantCulture, $"StorageLoc=slurm_acct_{ClusterName(plan).Replace('-', '_')}");
        return b.ToString();
    }

    /// <summary>Slurm's cluster name: lower case, at most 40 characters, unique per tenant and cluster.</summary>
    public static string ClusterName(ClusterPlan plan)
    {
        var name = $"{plan.Tenant}-{plan.Name}";
        return name.Length <= 40 ? name : $"{name[..31]}-{plan.Id.ToString("N")[..8]}";
    }

    /// <summary>The GRES type of a GPU model: its first word in lower case (<c>H100-SXM5-80GB</c> → <c>h100</c>).</summary>
    public static string GresType(string gpuModel)
    {
        var word = new string([.. gpuModel.TakeWhile(char.IsLetterOrDigit)]).ToLowerInvariant();
        return word.Length > 0 ? word : "gpu";
    }

    /// <summary>The lab port of each slurmd, by node name.</summary>
    public static int SlurmdPort(ClusterPlan plan, SlurmRenderOptions options, string node) =>
        options.ControllerPort + 1 + plan.Nodes.Select(n => n.Name).Order(StringComparer.Ordinal).ToList().IndexOf(node);

    public static string SlurmConf(ClusterPlan plan, SlurmRenderOptions options)
    {
        var controller = plan.ControlPlane[0];
        var lab = options.Lab;
        var dir = options.Directory;
        var b = new StringBuilder();
        b.AppendLine(CultureInfo.InvariantCulture, $"# Rendered by Dflare for cluster {plan.Tenant}/{plan.Name} ({plan.Id}).");
        b.AppendLine(CultureInfo.InvariantCulture, $"ClusterName={ClusterName(plan)}");
        b.AppendLine(lab
            ? string.Create(CultureInfo.InvariantCulture, $"SlurmctldHost={options.Hostname}(127.0.0.1)")
            : string.Create(CultureInfo.InvariantCulture, $"SlurmctldHost={controller.Name}({controller.Address})"));
        b.AppendLine(CultureInfo.InvariantCulture, $"SlurmctldPort={options.ControllerPort}");
        b.AppendLine("AuthType=auth/munge");
        b.AppendLine("CredType=cred/munge");
        if (options.MungeSocket is { } socket)
        {
            b.AppendLine(CultureInfo.InvariantCulture, $"AuthInfo=socket={socket}");
        }
        b.AppendLine(lab ? "SlurmUser=root" : "SlurmUser=slurm");
        b.AppendLine(CultureInfo.InvariantCulture, $"StateSaveLocation={(lab ? $"{dir}/state" : "/var/spool/slurmctld")}");
        b.AppendLine(CultureInfo.InvariantCulture, $"SlurmdSpoolDir={(lab ? $"{dir}/spool/%n" : "/var/spool/slurmd")}");
        b.AppendLine(CultureInfo.InvariantCulture, $"SlurmctldPidFile={(lab ? $"{dir}/slurmctld.pid" : "/run/slurmctld.pid")}");
        b.AppendLine(CultureInfo.InvariantCulture, $"SlurmdPidFile={(lab ? $"{dir}/slurmd-%n.pid" : "/run/slurmd.pid")}");
        b.AppendLine(CultureInfo.InvariantCulture, $"SlurmctldLogFile={(lab ? $"{dir}/log/slurmctld.log" : "/var/log/slurm/slurmctld.log")}");
        b.AppendLine(CultureInfo.InvariantCulture, $"SlurmdLogFile={(lab ? $"{dir}/log/slurmd-%n.log" : "/var/log/slurm/slurmd.log")}");
        // The lab has no cgroup v2 controllers and one kernel for every "node": processes are tracked by parentage.
        b.AppendLine(lab ? "ProctrackType=proctrack/linuxproc" : "ProctrackType=proctrack/cgroup");
        b.AppendLine(lab ? "TaskPlugin=task/none" : "TaskPlugin=task/cgroup,task/affinity");
        if (lab)
        {
            b.AppendLine("SlurmdParameters=config_overrides");
        }
        b.AppendLine("SelectType=select/cons_tres");
        b.AppendLine(lab ? "SelectTypeParameters=CR_Core" : "SelectTypeParameters=CR_Core_Memory");
        b.AppendLine("GresTypes=gpu");
        b.AppendLine("SchedulerType=sched/backfill");
        b.AppendLine("PriorityType=priority/multifactor");
        b.AppendLine("PriorityWeightFairshare=100000");
        b.AppendLine("PriorityWeightAge=1000");
        b.AppendLine("PriorityWeightQOS=10000");
        b.AppendLine("PriorityDecayHalfLife=7-0");
        if (lab && options.AccountingPort is null)
        {
            b.AppendLine("AccountingStorageType=accounting_storage/none");
            b.AppendLine("JobCompType=jobcomp/filetxt");
            b.AppendLine(CultureInfo.InvariantCulture, $"JobCompLoc={dir}/log/jobcomp.txt");
        }
        else
        {
            b.AppendLine("AccountingStorageType=accounting_storage/slurmdbd");
            b.AppendLine(CultureInfo.InvariantCulture, $"AccountingStorageHost={(lab ? "127.0.0.1" : controller.Address)}");
            b.AppendLine(CultureInfo.InvariantCulture, $"AccountingStoragePort={options.AccountingPort ?? 6819}");
            if (options.MungeSocket is { } munge)
            {
                // slurmctld reaches slurmdbd through this munge socket, not the default one.
                b.AppendLine(CultureInfo.InvariantCulture, $"AccountingStoragePass={munge}");
            }
            b.AppendLine("AccountingStorageEnforce=associations,limits,qos");
            b.AppendLine("AccountingStorageTRES=gres/gpu");
            b.AppendLine(lab ? "JobAcctGatherType=jobacct_gather/linux" : "JobAcctGatherType=jobacct_gather/cgroup");
        }
        b.AppendLine("TopologyPlugin=topology/tree");
        b.AppendLine("ReturnToService=2");
        b.AppendLine("MpiDefault=none");
        foreach (var node in plan.Nodes)
        {
            var gres = string.Create(CultureInfo.InvariantCulture, $"gpu:{GresType(node.GpuModel)}:{GresCount(node)}");
            var where = lab
                ? string.Create(CultureInfo.InvariantCulture, $"NodeHostname={options.Hostname} NodeAddr=127.0.0.1 Port={SlurmdPort(plan, options, node.Name)}")
                : string.Create(CultureInfo.InvariantCulture, $"NodeAddr={node.Address}");
            b.AppendLine(CultureInfo.InvariantCulture, $"NodeName={node.Name} {where} CPUs={node.Cpus} RealMemory={node.MemoryGiB * 1024L} Gres={gres} State=UNKNOWN");
        }
        var partitions = Partitions(plan);
        foreach (var (name, nodes, isDefault, maxTime) in partitions)
        {
            b.AppendLine(CultureInfo.InvariantCulture, $"PartitionName={name} Nodes={string.Join(',', nodes)} Default={(isDefault ? "YES" : "NO")} MaxTime={maxTime} State=UP");
        }
        return b.ToString();
    }

    /// <summary>The spec's partitions, or one default partition <c>batch</c> with every node.</summary>
    public static IReadOnlyList<(string Name, IReadOnlyList<string> Nodes, bool Default, string MaxTime)> Partitions(ClusterPlan plan)
    {
        var declared = plan.Spec.Slurm?.Partitions ?? [];
        if (declared.Count == 0)
        {
            return [("batch", [.. plan.Nodes.Select(n => n.Name)], true, "UNLIMITED")];
        }
        var anyDefault = declared.Any(p => p.Default);
        return [.. declared.Select((p, i) => (p.Name!, (IReadOnlyList<string>)[.. plan.Nodes.Where(n => p.Pools!.Contains(n.Pool)).Select(n => n.Name)],
            p.Default || (!anyDefault && i == 0), p.MaxTime is null ? "UNLIMITED" : ClusterSpecRules.SlurmTime(p.MaxTime)!))
            .Where(p => p.Item2.Count > 0)];
    }

    /// <summary>GPUs as Slurm counts them: MIG instances when the pool is partitioned.</summary>
    private static int GresCount(PlanNode node) => ClusterSpecRules.MigOf(node.Mig) is { Instances: > 0 } mig ? node.Gpus * mig.Instances : node.Gpus;

    public static string GresConf(ClusterPlan plan, SlurmRenderOptions options)
    {
        var b = new StringBuilder();
        // Production GPUs (and their MIG instances) are found through NVML; the lab's are device files we made.
        b.AppendLine(options.Lab ? "AutoDetect=off" : "AutoDetect=nvml");
        foreach (var node in plan.Nodes)
        {
            var count = GresCount(node);
            var files = options.Lab ? $"{options.Directory}/dev/nvidia[0-{count - 1}]" : $"/dev/nvidia[0-{node.Gpus - 1}]";
            b.AppendLine(CultureInfo.InvariantCulture, $"NodeName={node.Name} Name=gpu Type={GresType(node.GpuModel)} File={files}");
        }
        return b.ToString();
    }

    public static string CgroupConf() => """
        CgroupPlugin=autodetect
        ConstrainCores=yes
        ConstrainDevices=yes
        ConstrainRAMSpace=yes

        """;

    /// <summary>A leaf switch per InfiniBand leaf group (Ethernet leaf, or rack, without InfiniBand) and one root over them:
    /// Slurm then packs jobs under as few leaves as possible.</summary>
    public static string TopologyConf(ClusterPlan plan)
    {
        var b = new StringBuilder();
        var leaves = plan.Nodes.GroupBy(n => n.InfinibandLeaf ?? n.Leaf ?? n.Rack).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        foreach (var leaf in leaves)
        {
            b.AppendLine(CultureInfo.InvariantCulture, $"SwitchName={leaf.Key} Nodes={string.Join(',', leaf.Select(n => n.Name).Order(StringComparer.Ordinal))}");
        }
        if (leaves.Count > 1)
        {
            b.AppendLine(CultureInfo.InvariantCulture, $"SwitchName=root Switches={string.Join(',', leaves.Select(l => l.Key))}");
        }
        return b.ToString();
    }

    /// <summary>The tenant's account tree: the tenant, then an account per spec entry (default: the cluster's project),
    /// with fair-share shares, QoS and users. Idempotent (<c>sacctmgr -i</c> skips what exists).</summary>
    public static string Accounts(ClusterPlan plan)
    {
        var cluster = ClusterName(plan);
        var b = new StringBuilder("#!/bin/sh\nset -e\n");
        b.AppendLine(CultureInfo.InvariantCulture, $"sacctmgr -i add cluster {cluster} || true");
        b.AppendLine(CultureInfo.InvariantCulture, $"sacctmgr -i add account {plan.Tenant} cluster={cluster} organization={plan.Tenant} description=\"tenant {plan.Tenant}\" || true");
        foreach (var qos in plan.Spec.Slurm?.Qos ?? [])
        {
            var limits = qos.MaxGpusPerUser is { } max ? string.Create(CultureInfo.InvariantCulture, $" MaxTRESPerUser=gres/gpu={max}") : "";
            b.AppendLine(CultureInfo.InvariantCulture, $"sacctmgr -i add qos {qos.Name} Priority={qos.Priority ?? 0}{limits} || true");
        }
        var accounts = plan.Spec.Slurm?.Accounts is { Count: > 0 } declared ? declared : [new SlurmAccountSpec(plan.Project, 1)];
        foreach (var account in accounts)
        {
            var qos = account.Qos is { Count: > 0 } q ? $" qos={string.Join(',', q)}" : "";
            b.AppendLine(CultureInfo.InvariantCulture, $"sacctmgr -i add account {account.Name} parent={plan.Tenant} cluster={cluster} fairshare={account.FairShare ?? 1}{qos} || true");
            foreach (var user in account.Users ?? [])
            {
                b.AppendLine(CultureInfo.InvariantCulture, $"sacctmgr -i add user {user} account={account.Name} cluster={cluster} || true");
            }
        }
        return b.ToString();
    }
}
