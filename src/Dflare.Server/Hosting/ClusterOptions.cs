using Dflare.Core.Clusters;

namespace Dflare.Server.Hosting;

/// <summary>Clusters. Bound from the <c>Clusters</c> section.</summary>
public sealed class ClusterOptions
{
    public const string SectionName = "Clusters";

    /// <summary><c>Simulated</c> (default) or <c>Lab</c>: real Slurm daemons on this host (root; Slurm clusters only).</summary>
    public string Runtime { get; set; } = "Simulated";

    /// <summary>Where the Lab runtime keeps each cluster's files. Default: <c>{temp}/dflare-slurm</c>.</summary>
    public string? LabDirectory { get; set; }

    /// <summary>How often a cluster waiting for capacity looks again. Default: 5 seconds.</summary>
    public TimeSpan PlacementPoll { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a cluster may wait for capacity before it fails. Default: 7 days.</summary>
    public TimeSpan PlacementDeadline { get; set; } = TimeSpan.FromDays(7);

    public ClusterSettings ToSettings() => new()
    {
        Runtime = Runtime, LabDirectory = LabDirectory, PlacementPoll = PlacementPoll, PlacementDeadline = PlacementDeadline,
    };
}
