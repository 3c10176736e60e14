using System.Globalization;
using System.Text.RegularExpressions;
using Dflare.Core.Placement;
using Dflare.Core.Resources;

namespace Dflare.Core.Clusters;

/// <summary>The field rules of a cluster spec that need no store: every error names its field.</summary>
public static partial class ClusterSpecRules
{
    public static readonly IReadOnlyList<string> KubernetesVersions = ["1.33", "1.34", "1.35"];

    public static readonly IReadOnlyList<string> AddOns = ["nvidia-device-plugin", "nvidia-gpu-operator", "dcgm-exporter", "nvidia-network-operator"];

    /// <summary>MIG profiles of the A100/H100 40 and 80 GB parts, with how many instances one GPU holds.</summary>
    public static readonly IReadOnlyDictionary<string, int> MigProfiles = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["1g.5gb"] = 7, ["2g.10gb"] = 3, ["3g.20gb"] = 2, ["4g.20gb"] = 1, ["7g.40gb"] = 1,
        ["1g.10gb"] = 7, ["1g.20gb"] = 4, ["2g.20gb"] = 3, ["3g.40gb"] = 2, ["4g.40gb"] = 1, ["7g.80gb"] = 1,
    };

    public const int MaxPools = 16;
    public const int MaxNodesPerPool = 1024;

    public static void Validate(Validation v, ClusterSpec spec)
    {
        Names.Validate(v, "spec.project", spec.Project);
        if (v.Required("spec.type", spec.Type) && !ClusterTypes.All.Contains(spec.Type))
        {
            v.Add("spec.type", FieldErrorCodes.InvalidValue, $"spec.type must be one of {string.Join(", ", ClusterTypes.All)}.");
        }
        var type = spec.Type ?? "";
        if (ClusterTypes.HasKubernetes(type))
        {
            if (v.Required("spec.kubernetes.version", spec.Kubernetes?.Version) && !KubernetesVersions.Contains(spec.Kubernetes!.Version))
            {
                v.Add("spec.kubernetes.version", FieldErrorCodes.InvalidValue,
                    $"Kubernetes {spec.Kubernetes.Version} is not supported; supported versions: {string.Join(", ", KubernetesVersions)}.");
            }
            if (spec.Kubernetes?.ControlPlaneNodes is { } cp and not (1 or 3))
            {
                v.Add("spec.kubernetes.controlPlaneNodes", FieldErrorCodes.InvalidValue, "spec.kubernetes.controlPlaneNodes must be 1 or 3 (an HA control plane has three etcd members).");
            }
        }
        else if (spec.Kubernetes is not null && ClusterTypes.All.Contains(type))
        {
            v.Add("spec.kubernetes", FieldErrorCodes.InvalidValue, $"spec.kubernetes is for types with Kubernetes; this cluster is '{type}'.");
        }
        if (!ClusterTypes.HasSlurm(type) && spec.Slurm is not null && ClusterTypes.All.Contains(type))
        {
            v.Add("spec.slurm", FieldErrorCodes.InvalidValue, $"spec.slurm is for types with Slurm; this cluster is '{type}'.");
        }
        var pools = spec.Pools ?? [];
        ValidatePools(v, pools);
        var totalNodes = pools.Where(p => p is not null).Sum(p => Math.Max(0, p.Count ?? 0));
        if (ClusterTypes.HasKubernetes(type) && spec.Kubernetes?.ControlPlaneNodes is 3 && totalNodes is > 0 and < 3)
        {
            v.Add("spec.kubernetes.controlPlaneNodes", FieldErrorCodes.OutOfRange, $"Three control-plane members need at least three nodes; the pools have {totalNodes}.");
        }
        // No network: the cluster gets its own VPC and subnet (ManagedNetwork).
        if (spec.Network is not null)
        {
            Names.Validate(v, "spec.network.vpc", spec.Network.Vpc);
            var subnets = spec.Network.Subnets ?? [];
            if (subnets.Count is 0 or > 8)
            {
                v.Add("spec.network.subnets", FieldErrorCodes.OutOfRange, "spec.network.subnets must name 1 to 8 subnets of the VPC.");
            }
            for (var i = 0; i < subnets.Count; i++)
            {
                Names.Validate(v, $"spec.network.subnets[{i}]", subnets[i]);
            }
            if (subnets.Distinct(StringComparer.Ordinal).Count() != subnets.Count)
            {
                v.Add("spec.network.subnets", FieldErrorCodes.InvalidValue, "spec.network.subnets names a subnet twice.");
            }
        }
        ValidateVolumes(v, spec.Volumes ?? []);
        if (spec.Slurm is not null)
        {
            ValidateSlurm(v, spec.Slurm, pools.Where(p => p?.Name is not null).Select(p => p.Name!).ToHashSet(StringComparer.Ordinal));
        }
        var addOns = spec.AddOns ?? [];
        for (var i = 0; i < addOns.Count; i++)
        {
            if (addOns[i]?.Name is not { } name || !AddOns.Contains(name))
            {
                v.Add($"spec.addOns[{i}].name", FieldErrorCodes.InvalidValue, $"spec.addOns[{i}].name must be one of {string.Join(", ", AddOns)}.");
            }
            else if (!ClusterTypes.HasKubernetes(type))
            {
                v.Add($"spec.addOns[{i}].name", FieldErrorCodes.InvalidValue, $"{name} is a Kubernetes add-on; a Slurm cluster's GPUs are its GRES.");
            }
        }
    }

    private static void ValidatePools(Validation v, IReadOnlyList<NodePoolSpec> pools)
    {
        if (pools.Count is 0 or > MaxPools)
        {
            v.Add("spec.pools", FieldErrorCodes.OutOfRange, $"spec.pools must hold 1 to {MaxPools} node pools.");
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < pools.Count; i++)
        {
            var field = $"spec.pools[{i}]";
            if (pools[i] is not { } pool)
            {
                v.Add(field, FieldErrorCodes.Required, $"{field} is empty.");
                continue;
            }
            Names.Validate(v, $"{field}.name", pool.Name);
            if (pool.Name is not null && !names.Add(pool.Name))
            {
                v.Add($"{field}.name", FieldErrorCodes.InvalidValue, $"Pool '{pool.Name}' is named twice.");
            }
            if (pool.Sku is null && pool.GpuModel is null)
            {
                v.Add($"{field}.sku", FieldErrorCodes.Required, $"{field} needs a sku or a gpuModel.");
            }
            if (pool.Sku is not null)
            {
                Names.Validate(v, $"{field}.sku", pool.Sku);
            }
            v.Text($"{field}.gpuModel", pool.GpuModel, 63);
            if (v.Required($"{field}.count", pool.Count) && pool.Count is < 1 or > MaxNodesPerPool)
            {
                v.Add($"{field}.count", FieldErrorCodes.OutOfRange, $"{field}.count must be 1 to {MaxNodesPerPool}.");
            }
            if (pool.Placement is { } p && new[] { p.SameRack, p.SameLeaf, p.SameInfinibandLeafGroup, p.Spread }.Count(x => x) > 1)
            {
                v.Add($"{field}.placement", FieldErrorCodes.InvalidValue, $"{field}.placement takes one of sameRack, sameLeaf, sameInfinibandLeafGroup or spread.");
            }
            if (pool.Mig is { } mig && MigOf(mig) is null)
            {
                v.Add($"{field}.mig", FieldErrorCodes.InvalidValue,
                    $"{field}.mig must be none or a MIG profile ({string.Join(", ", MigProfiles.Keys)}), optionally ×N up to what one GPU holds.");
            }
        }
    }

    private static void ValidateVolumes(Validation v, IReadOnlyList<ClusterVolumeSpec> volumes)
    {
        if (volumes.Count > 16)
        {
            v.Add("spec.volumes", FieldErrorCodes.TooMany, "spec.volumes mounts at most 16 volumes.");
        }
        for (var i = 0; i < volumes.Count; i++)
        {
            var field = $"spec.volumes[{i}]";
            if (volumes[i] is not { } volume)
            {
                v.Add(field, FieldErrorCodes.Required, $"{field} is empty.");
                continue;
            }
            Names.Validate(v, $"{field}.name", volume.Name);
            if (volume.MountPath is { } path && (!path.StartsWith('/') || path.Contains("..", StringComparison.Ordinal) || path.Length > 512 || path.Any(char.IsWhiteSpace) || path == "/"))
            {
                v.Add($"{field}.mountPath", FieldErrorCodes.InvalidFormat, $"{field}.mountPath must be an absolute path below / without '..' or spaces.");
            }
        }
        if (volumes.Where(x => x?.Name is not null).GroupBy(x => x.Name).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            v.Add("spec.volumes", FieldErrorCodes.InvalidValue, $"Volume '{twice.Key}' is mounted twice.");
        }
        if (volumes.Where(x => x?.MountPath is not null).GroupBy(x => x.MountPath).FirstOrDefault(g => g.Count() > 1) is { } same)
        {
            v.Add("spec.volumes", FieldErrorCodes.InvalidValue, $"Two volumes are mounted at {same.Key}.");
        }
    }

    private static void ValidateSlurm(Validation v, SlurmSpec slurm, HashSet<string> pools)
    {
        var partitions = slurm.Partitions ?? [];
        var qosNames = (slurm.Qos ?? []).Where(q => q?.Name is not null).Select(q => q.Name!).ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < partitions.Count; i++)
        {
            var field = $"spec.slurm.partitions[{i}]";
            if (partitions[i] is not { } partition)
            {
                v.Add(field, FieldErrorCodes.Required, $"{field} is empty.");
                continue;
            }
            Names.Validate(v, $"{field}.name", partition.Name);
            var used = partition.Pools ?? [];
            if (used.Count == 0)
            {
                v.Add($"{field}.pools", FieldErrorCodes.Required, $"{field}.pools must name at least one node pool.");
            }
            for (var j = 0; j < used.Count; j++)
            {
                if (!pools.Contains(used[j] ?? ""))
                {
                    v.Add($"{field}.pools[{j}]", FieldErrorCodes.UnknownReference, $"The cluster has no pool '{used[j]}'.");
                }
            }
            if (partition.MaxTime is { } maxTime && SlurmTime(maxTime) is null)
            {
                v.Add($"{field}.maxTime", FieldErrorCodes.InvalidFormat, $"{field}.maxTime must be like 48h, 90m, 2d, 2-00:00:00, 30 (minutes) or UNLIMITED.");
            }
        }
        if (partitions.Count(p => p?.Default == true) > 1)
        {
            v.Add("spec.slurm.partitions", FieldErrorCodes.InvalidValue, "At most one partition is the default.");
        }
        if (partitions.Where(p => p?.Name is not null).GroupBy(p => p.Name).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            v.Add("spec.slurm.partitions", FieldErrorCodes.InvalidValue, $"Partition '{twice.Key}' is named twice.");
        }
        var qos = slurm.Qos ?? [];
        for (var i = 0; i < qos.Count; i++)
        {
            Names.Validate(v, $"spec.slurm.qos[{i}].name", qos[i]?.Name);
            if (qos[i]?.MaxGpusPerUser is < 1)
            {
                v.Add($"spec.slurm.qos[{i}].maxGpusPerUser", FieldErrorCodes.OutOfRange, "maxGpusPerUser must be positive.");
            }
        }
        var accounts = slurm.Accounts ?? [];
        for (var i = 0; i < accounts.Count; i++)
        {
            var field = $"spec.slurm.accounts[{i}]";
            Names.Validate(v, $"{field}.name", accounts[i]?.Name);
            if (accounts[i]?.FairShare is < 1 or > 100_000)
            {
                v.Add($"{field}.fairShare", FieldErrorCodes.OutOfRange, $"{field}.fairShare must be 1 to 100000 shares.");
            }
            var users = accounts[i]?.Users ?? [];
            for (var j = 0; j < users.Count; j++)
            {
                Names.Validate(v, $"{field}.users[{j}]", users[j]);
            }
            var named = accounts[i]?.Qos ?? [];
            for (var j = 0; j < named.Count; j++)
            {
                if (!qosNames.Contains(named[j] ?? ""))
                {
                    v.Add($"{field}.qos[{j}]", FieldErrorCodes.UnknownReference, $"spec.slurm.qos has no '{named[j]}'.");
                }
            }
        }
    }

    /// <summary>The instances per GPU of a MIG setting, 0 for none; null when it is not one.</summary>
    public static (string Profile, int Instances)? MigOf(string mig)
    {
        if (mig == "none")
        {
            return ("none", 0);
        }
        var match = MigPattern().Match(mig);
        if (!match.Success || !MigProfiles.TryGetValue(match.Groups[1].Value, out var max))
        {
            return null;
        }
        var instances = match.Groups[2].Success ? int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture) : max;
        return instances is >= 1 && instances <= max ? (match.Groups[1].Value, instances) : null;
    }

    /// <summary>A partition time limit in Slurm's own syntax, or null when it is not one.</summary>
    public static string? SlurmTime(string value)
    {
        if (value == "UNLIMITED")
        {
            return value;
        }
        var match = DurationPattern().Match(value);
        if (match.Success)
        {
            var n = long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            var minutes = match.Groups[2].Value switch { "d" => n * 1440, "h" => n * 60, _ => n };
            return minutes is > 0 and <= 365L * 1440 ? string.Create(CultureInfo.InvariantCulture, $"{minutes / 1440}-{minutes % 1440 / 60:00}:{minutes % 60:00}:00") : null;
        }
        return SlurmTimePattern().IsMatch(value) ? value : null;
    }

    public static PlacementConstraint ConstraintOf(PlacementSpec? placement) => placement switch
    {
        { SameRack: true } => PlacementConstraint.SameRack,
        { SameLeaf: true } => PlacementConstraint.SameLeaf,
        { SameInfinibandLeafGroup: true } => PlacementConstraint.SameInfinibandLeafGroup,
        { Spread: true } => PlacementConstraint.Spread,
        _ => PlacementConstraint.Packed,
    };

    [GeneratedRegex(@"^([1-7]g\.[0-9]+gb)(?:[×x*]([1-7]))?$")]
    private static partial Regex MigPattern();

    [GeneratedRegex(@"^([1-9][0-9]{0,5})([dhm])$")]
    private static partial Regex DurationPattern();

    [GeneratedRegex(@"^(?:[0-9]{1,3}-)?(?:[0-9]{1,2}:)?(?:[0-9]{1,2}:)?[0-9]{1,6}$")]
    private static partial Regex SlurmTimePattern();
}
