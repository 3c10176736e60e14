using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dflare.Persistence.Identity;

/// <summary>
/// An attribute-based rule of a realm: for these permissions, when every condition holds, allow or deny. Evaluated
/// with the role bindings by the one policy decision point; a matching deny wins over any allow.
/// </summary>
public sealed class AccessPolicyRow
{
    public Guid Id { get; set; }

    public required string Realm { get; set; }

    public required string Name { get; set; }

    /// <summary><c>Allow</c> or <c>Deny</c>.</summary>
    public required string Effect { get; set; }

    /// <summary>JSON array of permissions (<c>clusters.create</c>, <c>*</c>).</summary>
    public required string Permissions { get; set; }

    /// <summary>JSON array of conditions (attribute, operator, values).</summary>
    public required string Conditions { get; set; }

    public string? Description { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

internal sealed class AccessPolicyRowConfiguration : IEntityTypeConfiguration<AccessPolicyRow>
{
    public void Configure(EntityTypeBuilder<AccessPolicyRow> builder)
    {
        builder.ToTable("access_policies");
        builder.HasKey(p => p.Id);
        builder.Property(p => p.Realm).HasMaxLength(63);
        builder.Property(p => p.Name).HasMaxLength(63);
        builder.HasIndex(p => new { p.Realm, p.Name }).IsUnique();
        builder.Property(p => p.Effect).HasMaxLength(8);
        builder.Property(p => p.Description).HasMaxLength(1024);
    }
}
