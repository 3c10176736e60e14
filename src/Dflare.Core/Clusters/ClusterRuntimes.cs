namespace Dflare.Core.Clusters;

/// <summary>How clusters run. Bound from the <c>Clusters</c> section.</summary>
public sealed class ClusterSettings
{
    public static readonly IReadOnlyList<string> Runtimes = ["Simulated", "Lab"];

    /// <summary><c>Simulated</c> (default: the simulated datacenter's runtime) or <c>Lab</c> (real Slurm daemons on
    /// this host; Slurm clusters only). New clusters take it; a cluster keeps the runtime it was made with.</summary>
    public string Runtime { get; init; } = "Simulated";

    /// <summary>Where the Lab runtime keeps each cluster's configuration, state and logs. Default: the system temp dir.</summary>
    public string? LabDirectory { get; init; }

    /// <summary>How often a cluster waiting for capacity looks again (releases also wake it). Default: 5 s.</summary>
    public TimeSpan PlacementPoll { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a cluster may wait for capacity before it fails. Default: 7 days.</summary>
    public TimeSpan PlacementDeadline { get; init; } = TimeSpan.FromDays(7);
}

/// <summary>The runtimes by name: one simulated runtime for the process, and the Lab runtime when asked for.</summary>
public sealed class ClusterRuntimes(SimulatedClusterRuntime simulated, Func<LabSlurmRuntime> lab)
{
    public SimulatedClusterRuntime Simulated => simulated;

    public IClusterRuntime For(string runtime, string type) => runtime switch
    {
        "Lab" when ClusterTypes.HasKubernetes(type) => throw new ClusterRuntimeException(
            "the Lab runtime runs Slurm clusters only: no Kubernetes API server can run on this host", isTransient: false),
        "Lab" => lab(),
        _ => simulated,
    };
}
