using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dflare.Persistence.Identity;

/// <summary>A principal's membership of a group of its realm. A group exists while it has members or bindings.</summary>
public sealed class GroupMemberRow
{
    public Guid Id { get; set; }

    public required string Realm { get; set; }

    public required string Group { get; set; }

    public Guid PrincipalId { get; set; }
}

internal sealed class GroupMemberRowConfiguration : IEntityTypeConfiguration<GroupMemberRow>
{
    public void Configure(EntityTypeBuilder<GroupMemberRow> builder)
    {
        builder.ToTable("group_members");
        builder.HasKey(m => m.Id);
        builder.Property(m => m.Realm).HasMaxLength(63);
        builder.Property(m => m.Group).HasMaxLength(63);
        builder.HasIndex(m => new { m.Realm, m.Group, m.PrincipalId }).IsUnique();
        builder.HasIndex(m => m.PrincipalId);
    }
}
