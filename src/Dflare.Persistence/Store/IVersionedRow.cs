namespace Dflare.Persistence.Store;

/// <summary>A row behind an API resource: identity, timestamps and the optimistic-concurrency version.</summary>
public interface IVersionedRow
{
    Guid Id { get; }

    string Name { get; }

    /// <summary>Labels as a JSON object of strings.</summary>
    string Labels { get; }

    DateTimeOffset CreatedAt { get; }

    DateTimeOffset UpdatedAt { get; set; }

    long ResourceVersion { get; set; }
}
