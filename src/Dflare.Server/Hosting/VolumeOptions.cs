using Dflare.Core.Volumes;

namespace Dflare.Server.Hosting;

/// <summary>Volumes. Bound from the <c>Volumes</c> section.</summary>
public sealed class VolumeOptions
{
    public const string SectionName = "Volumes";

    /// <summary>How long a deleted volume's data is kept before the backend removes it. Default: 24 hours.</summary>
    public TimeSpan DeletionGrace { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How often every Ready volume's usage is scanned and its quota enforced. Default: 5 minutes.</summary>
    public TimeSpan ScanInterval { get; set; } = TimeSpan.FromMinutes(5);

    public VolumeSettings ToSettings() => new() { DeletionGrace = DeletionGrace, ScanInterval = ScanInterval };
}
