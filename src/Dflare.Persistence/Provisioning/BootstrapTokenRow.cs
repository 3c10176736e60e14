using Dflare.Persistence.Inventory;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dflare.Persistence.Provisioning;

/// <summary>
/// A node agent's one-time bootstrap token, stored as its SHA-256. Redeeming it (for the agent's first certificate)
/// sets <see cref="RedeemedAt"/> in a conditional update, so two agents presenting the same token cannot both win.
/// </summary>
public sealed class BootstrapTokenRow
{
    public Guid Id { get; set; }

    public Guid NodeId { get; set; }

    /// <summary>The provisioning run that issued it.</summary>
    public Guid RunId { get; set; }

    /// <summary>Lower-case hex SHA-256 of the token.</summary>
    public required string TokenHash { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? RedeemedAt { get; set; }
}

internal sealed class BootstrapTokenRowConfiguration : IEntityTypeConfiguration<BootstrapTokenRow>
{
    public void Configure(EntityTypeBuilder<BootstrapTokenRow> builder)
    {
        builder.ToTable("bootstrap_tokens");
        builder.HasKey(t => t.Id);
        builder.Property(t => t.TokenHash).HasMaxLength(64);
        builder.HasIndex(t => t.TokenHash).IsUnique();
        // One token per provisioning run: a step run again after a crash finds the token it issued.
        builder.HasIndex(t => t.RunId).IsUnique();
        builder.HasOne<NodeRow>().WithMany().HasForeignKey(t => t.NodeId).OnDelete(DeleteBehavior.Cascade);
    }
}
