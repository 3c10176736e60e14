using Dflare.Persistence.Store;

namespace Dflare.Core.Resources;

/// <summary>
/// Everything kind-specific about a synchronous resource (validation, row mapping, where its rows live), so that
/// listing, paging, preconditions, idempotency and errors are written once for every kind.
/// </summary>
/// <typeparam name="TResource">The API shape.</typeparam>
/// <typeparam name="TRow">The stored row.</typeparam>
/// <typeparam name="TScope">What owns the object (nothing for tenants, the tenant for projects).</typeparam>
public interface IResourceKind<TResource, TRow, TScope>
    where TResource : class, IResource
    where TRow : class, IVersionedRow
{
    /// <summary>The kind, e.g. <c>Tenant</c>.</summary>
    string Kind { get; }

    /// <summary>What a delete refused by a foreign key means, e.g. "it still has projects".</summary>
    string DependentsExplanation { get; }

    /// <summary>The fields naming other objects (e.g. <c>spec.site</c>): a write refused by a foreign key names them.</summary>
    IReadOnlyList<string> ReferenceFields { get; }

    IQueryable<TRow> Query(DflareDbContext db, TScope scope);

    /// <summary>Field errors of a create (<paramref name="creating"/>) or full update; the name rules are checked here too.</summary>
    void Validate(Validation validation, TResource resource, TScope scope, bool creating);

    TRow NewRow(TResource resource, TScope scope, DateTimeOffset now);

    /// <summary>Copies the writable fields of <paramref name="resource"/> into <paramref name="row"/>.</summary>
    void Apply(TRow row, TResource resource);

    TResource ToResource(TRow row, TScope scope);

    /// <summary>Query parameters a list of this kind filters on besides paging and labels (e.g. <c>state</c>).</summary>
    IReadOnlyList<string> ListFilters => [];

    /// <summary>Narrows a list by <see cref="ListFilters"/>; a value that cannot be used answers its parameter and why.</summary>
    (IQueryable<TRow> Rows, string? BadParameter, string? Error) Filter(IQueryable<TRow> rows, IReadOnlyDictionary<string, string> filters) =>
        (rows, null, null);

    /// <summary>Checks that need the store (limits, what exists), after <see cref="Validate"/> found nothing wrong;
    /// <paramref name="existing"/> is the row a replace updates, null for a create.</summary>
    Task CheckAsync(Validation validation, DflareDbContext db, TResource resource, TScope scope, TRow? existing, CancellationToken cancellationToken) =>
        Task.CompletedTask;

    /// <summary>Adds what a create or a changing replace sets off (a workflow run) to the same save as the row.</summary>
    void Writing(DflareDbContext db, TRow row, TScope scope, bool creating)
    {
    }

    /// <summary>Like <see cref="Writing"/>, but inside the write's transaction and able to use the store (taking values
    /// from pools). Throws <see cref="ResourceConflictException"/> to refuse the write; then nothing of it is kept.</summary>
    Task WritingAsync(DflareDbContext db, TRow row, TResource resource, TScope scope, bool creating, CancellationToken cancellationToken)
    {
        Writing(db, row, scope, creating);
        return Task.CompletedTask;
    }

    /// <summary>Runs in the delete's transaction before the row goes: removes what lives beside it (a tenant's realm).
    /// Throws <see cref="ResourceConflictException"/> to refuse the delete; <paramref name="force"/> is the request's
    /// <c>?force=true</c> (a volume mounted by a cluster is deleted only then).</summary>
    Task RemovingAsync(DflareDbContext db, TRow row, TScope scope, bool force, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The resources read by a GET, with what lives in other tables (a node's GPUs and agent) filled in.</summary>
    Task<IReadOnlyList<TResource>> ReadAsync(DflareDbContext db, IReadOnlyList<TRow> rows, TScope scope, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<TResource>>([.. rows.Select(r => ToResource(r, scope))]);
}
