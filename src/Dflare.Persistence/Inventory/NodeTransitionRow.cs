using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dflare.Persistence.Inventory;

/// <summary>One move of a node's state, with why and which operation made it: the node's history.</summary>
public sealed class NodeTransitionRow
{
    public Guid Id { get; set; }

    public Guid NodeId { get; set; }

    public DateTimeOffset At { get; set; }

    public required string From { get; set; }

    public required string To { get; set; }

    public string? Reason { get; set; }

    /// <summary>The workflow run (operation) whose step made the move.</summary>
    public Guid? RunId { get; set; }
}

internal sealed class NodeTransitionRowConfiguration : IEntityTypeConfiguration<NodeTransitionRow>
{
    public void Configure(EntityTypeBuilder<NodeTransitionRow> builder)
    {
        builder.ToTable("node_transitions");
        builder.HasKey(t => t.Id);
        builder.Property(t => t.From).HasMaxLength(32);
        builder.Property(t => t.To).HasMaxLength(32);
        builder.Property(t => t.Reason).HasMaxLength(1024);
        builder.HasIndex(t => new { t.NodeId, t.At });
        builder.HasOne<NodeRow>().WithMany().HasForeignKey(t => t.NodeId).OnDelete(DeleteBehavior.Cascade);
    }
}
