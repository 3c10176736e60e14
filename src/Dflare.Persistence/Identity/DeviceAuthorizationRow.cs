using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dflare.Persistence.Identity;

/// <summary>One RFC 8628 device authorization: a terminal waits on the device code while its user approves the user code.</summary>
public sealed class DeviceAuthorizationRow
{
    public Guid Id { get; set; }

    public required string Realm { get; set; }

    /// <summary>SHA-256 of the device code, hex.</summary>
    public required string DeviceCodeHash { get; set; }

    /// <summary>The short code the user types, normalised (upper case, no dash).</summary>
    public required string UserCode { get; set; }

    public required string ClientId { get; set; }

    /// <summary><c>Pending</c>, <c>Approved</c>, <c>Denied</c> or <c>Redeemed</c>.</summary>
    public required string State { get; set; }

    /// <summary>Who approved it.</summary>
    public Guid? PrincipalId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    /// <summary>The last time the terminal polled, to answer <c>slow_down</c> to one that polls faster than the interval.</summary>
    public DateTimeOffset? LastPolledAt { get; set; }
}

internal sealed class DeviceAuthorizationRowConfiguration : IEntityTypeConfiguration<DeviceAuthorizationRow>
{
    public void Configure(EntityTypeBuilder<DeviceAuthorizationRow> builder)
    {
        builder.ToTable("device_authorizations");
        builder.HasKey(d => d.Id);
        builder.Property(d => d.Realm).HasMaxLength(63);
        builder.Property(d => d.DeviceCodeHash).HasMaxLength(64);
        builder.HasIndex(d => d.DeviceCodeHash).IsUnique();
        builder.Property(d => d.UserCode).HasMaxLength(16);
        builder.HasIndex(d => new { d.Realm, d.UserCode });
        builder.Property(d => d.ClientId).HasMaxLength(128);
        builder.Property(d => d.State).HasMaxLength(16);
    }
}
