namespace Dflare.Persistence.Store;

/// <summary>A row behind an API resource: identity, timestamps and the optimistic-concurrency version.</summary>
public interface IVersionedRow
{
    Guid Id { get; }

    string Name { get; }

    DateTimeOffset CreatedAt { get; }

    DateTimeOffset UpdatedAt { get; set; }

    long ResourceVersion { get; set; }
}
