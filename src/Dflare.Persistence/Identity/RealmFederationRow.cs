using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dflare.Persistence.Identity;

/// <summary>
/// A realm's trust in an external OpenID provider: tokens from <see cref="Issuer"/> for <see cref="ClientId"/> are
/// accepted for this realm, and only this one; the groups they carry are mapped onto the realm's groups.
/// </summary>
public sealed class RealmFederationRow
{
    public required string Realm { get; set; }

    /// <summary>The provider's issuer, exactly as its tokens' <c>iss</c>; unique across realms.</summary>
    public required string Issuer { get; set; }

    /// <summary>The audience the provider puts in tokens meant for Dflare.</summary>
    public required string ClientId { get; set; }

    /// <summary>The claim that lists the caller's groups at the provider. Default <c>groups</c>.</summary>
    public required string GroupsClaim { get; set; }

    /// <summary>The claim used as the caller's name. Default <c>preferred_username</c>.</summary>
    public required string UsernameClaim { get; set; }

    /// <summary>JSON object: the provider's group → this realm's group. Unmapped groups are ignored.</summary>
    public required string GroupMapping { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}

internal sealed class RealmFederationRowConfiguration : IEntityTypeConfiguration<RealmFederationRow>
{
    public void Configure(EntityTypeBuilder<RealmFederationRow> builder)
    {
        builder.ToTable("realm_federations");
        builder.HasKey(f => f.Realm);
        builder.Property(f => f.Realm).HasMaxLength(63);
        builder.Property(f => f.Issuer).HasMaxLength(512);
        builder.HasIndex(f => f.Issuer).IsUnique();
        builder.Property(f => f.ClientId).HasMaxLength(256);
        builder.Property(f => f.GroupsClaim).HasMaxLength(64);
        builder.Property(f => f.UsernameClaim).HasMaxLength(64);
    }
}
