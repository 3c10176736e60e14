using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dflare.Persistence.Identity;

/// <summary>A role granted to a principal or a group, over a whole tenant (or the platform) or one project.</summary>
public sealed class RoleBindingRow
{
    public Guid Id { get; set; }

    public required string Realm { get; set; }

    /// <summary>Unique in the realm.</summary>
    public required string Name { get; set; }

    /// <summary><c>User</c>, <c>ServiceAccount</c> or <c>Group</c>.</summary>
    public required string SubjectKind { get; set; }

    public required string SubjectName { get; set; }

    public required string Role { get; set; }

    /// <summary>Null: the whole realm (tenant or platform); otherwise one project of the tenant.</summary>
    public string? Project { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

internal sealed class RoleBindingRowConfiguration : IEntityTypeConfiguration<RoleBindingRow>
{
    public void Configure(EntityTypeBuilder<RoleBindingRow> builder)
    {
        builder.ToTable("role_bindings");
        builder.HasKey(b => b.Id);
        builder.Property(b => b.Realm).HasMaxLength(63);
        builder.Property(b => b.Name).HasMaxLength(63);
        builder.HasIndex(b => new { b.Realm, b.Name }).IsUnique();
        builder.Property(b => b.SubjectKind).HasMaxLength(16);
        builder.Property(b => b.SubjectName).HasMaxLength(128);
        builder.HasIndex(b => new { b.Realm, b.SubjectKind, b.SubjectName });
        builder.Property(b => b.Role).HasMaxLength(63);
        builder.Property(b => b.Project).HasMaxLength(63);
    }
}
