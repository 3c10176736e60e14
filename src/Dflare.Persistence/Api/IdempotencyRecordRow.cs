using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dflare.Persistence.Api;

/// <summary>
/// The first response to a create sent with an Idempotency-Key, kept so that a retry gets the same answer.
/// It is written in the same transaction as the object it created, so a replay never points at nothing.
/// </summary>
public sealed class IdempotencyRecordRow
{
    public long Id { get; set; }

    /// <summary>Who asked and where: the caller's identity, the method and the path.</summary>
    public required string Scope { get; set; }

    public required string Key { get; set; }

    /// <summary>SHA-256 of the request body, hex; another body under the same key is refused.</summary>
    public required string RequestHash { get; set; }

    public int StatusCode { get; set; }

    public required string ResponseBody { get; set; }

    public string? Location { get; set; }

    public string? Etag { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }
}

internal sealed class IdempotencyRecordRowConfiguration : IEntityTypeConfiguration<IdempotencyRecordRow>
{
    public void Configure(EntityTypeBuilder<IdempotencyRecordRow> builder)
    {
        builder.ToTable("idempotency_records");
        builder.HasKey(r => r.Id);
        builder.Property(r => r.Scope).HasMaxLength(512);
        builder.Property(r => r.Key).HasMaxLength(255);
        builder.Property(r => r.RequestHash).HasMaxLength(64);
        builder.HasIndex(r => new { r.Scope, r.Key }).IsUnique();
        builder.HasIndex(r => r.ExpiresAt);
    }
}
