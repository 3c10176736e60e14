using Dflare.Persistence.Inventory;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dflare.Persistence.Provisioning;

/// <summary>
/// What the node's agent told us, and which client certificates it may use. Kept apart from the node row so that
/// heartbeats never bump the node's resource version (and never break an operator's If-Match).
/// </summary>
public sealed class NodeAgentRow
{
    public Guid NodeId { get; set; }

    /// <summary>Serial of the certificate the agent uses now (hex).</summary>
    public string? CertificateSerial { get; set; }

    /// <summary>The one before, accepted until it expires so a renewal whose answer was lost does not strand the agent.</summary>
    public string? PreviousCertificateSerial { get; set; }

    public DateTimeOffset? CertificateNotAfter { get; set; }

    /// <summary>Set when an operator revokes the node: every certificate it holds is refused from then on.</summary>
    public DateTimeOffset? RevokedAt { get; set; }

    public DateTimeOffset? RegisteredAt { get; set; }

    public DateTimeOffset? LastHeartbeatAt { get; set; }

    /// <summary><c>Unknown</c>, <c>Green</c>, <c>Degraded</c>, <c>Unreachable</c>.</summary>
    public string Health { get; set; } = "Unknown";

    /// <summary>Why health is not green, in words.</summary>
    public string? HealthReason { get; set; }

    /// <summary>The agent's last health report and inventory, as JSON.</summary>
    public string? Report { get; set; }

    public string? Inventory { get; set; }

    public string? AgentVersion { get; set; }
}

internal sealed class NodeAgentRowConfiguration : IEntityTypeConfiguration<NodeAgentRow>
{
    public void Configure(EntityTypeBuilder<NodeAgentRow> builder)
    {
        builder.ToTable("node_agents");
        builder.HasKey(a => a.NodeId);
        builder.Property(a => a.CertificateSerial).HasMaxLength(64);
        builder.Property(a => a.PreviousCertificateSerial).HasMaxLength(64);
        builder.Property(a => a.Health).HasMaxLength(16);
        builder.Property(a => a.HealthReason).HasMaxLength(1024);
        builder.Property(a => a.AgentVersion).HasMaxLength(64);
        builder.HasIndex(a => a.LastHeartbeatAt);
        builder.HasOne<NodeRow>().WithOne().HasForeignKey<NodeAgentRow>(a => a.NodeId).OnDelete(DeleteBehavior.Cascade);
    }
}
