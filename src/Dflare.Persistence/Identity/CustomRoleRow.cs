using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dflare.Persistence.Identity;

/// <summary>A realm's own role: a named set of permissions, bound like a built-in role.</summary>
public sealed class CustomRoleRow
{
    public Guid Id { get; set; }

    public required string Realm { get; set; }

    public required string Name { get; set; }

    /// <summary>JSON array of permissions.</summary>
    public required string Permissions { get; set; }

    public string? Description { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

internal sealed class CustomRoleRowConfiguration : IEntityTypeConfiguration<CustomRoleRow>
{
    public void Configure(EntityTypeBuilder<CustomRoleRow> builder)
    {
        builder.ToTable("custom_roles");
        builder.HasKey(r => r.Id);
        builder.Property(r => r.Realm).HasMaxLength(63);
        builder.Property(r => r.Name).HasMaxLength(63);
        builder.HasIndex(r => new { r.Realm, r.Name }).IsUnique();
        builder.Property(r => r.Description).HasMaxLength(1024);
    }
}
