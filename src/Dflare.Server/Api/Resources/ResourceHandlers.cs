using Dflare.Core.Resources;
using Dflare.Persistence.Store;
using Dflare.Server.Api.Idempotency;
using Dflare.Server.Api.Json;
using Dflare.Server.Api.Paging;
using Dflare.Server.Api.Problems;
using Dflare.Server.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dflare.Server.Api.Resources;

/// <summary>The request handlers behind <see cref="ResourceEndpoints"/>, for one kind.</summary>
internal sealed class ResourceHandlers<TResource, TRow, TScope>(
    IResourceKind<TResource, TRow, TScope> kind, ScopeResolver<TScope> resolveScope, ListNarrowing<TRow>? narrow)
    where TResource : class, IResource
    where TRow : class, IVersionedRow
{
    public const string LabelSelectorParameter = "labelSelector";

    public async Task<IResult> ListAsync(HttpContext http, DflareDbContext db, IOptions<ApiOptions> api, CancellationToken cancellationToken)
    {
        var (page, pageProblem) = PageRequest.Parse(http.Request, api.Value, [LabelSelectorParameter, .. kind.ListFilters]);
        if (pageProblem is not null)
        {
            return pageProblem;
        }
        LabelSelector? selector = null;
        if (http.Request.Query.TryGetValue(LabelSelectorParameter, out var selectorText))
        {
            (selector, var error) = LabelSelector.Parse(selectorText.ToString());
            if (error is not null)
            {
                return Problem.BadQuery(ProblemCodes.InvalidQuery, LabelSelectorParameter, $"'{LabelSelectorParameter}' cannot be read: {error}.");
            }
        }
        var (scope, scopeProblem) = await resolveScope(http, db, cancellationToken);
        if (scopeProblem is not null)
        {
            return scopeProblem;
        }
        var filters = kind.ListFilters.Where(f => http.Request.Query.ContainsKey(f)).ToDictionary(f => f, f => http.Request.Query[f].ToString());
        var all = kind.Query(db, scope!);
        var (query, badParameter, filterError) = kind.Filter(narrow is null ? all : await narrow(http, all), filters);
        if (badParameter is not null)
        {
            return Problem.BadQuery(ProblemCodes.InvalidQuery, badParameter, filterError!);
        }
        var (rows, next) = selector is null
            ? await PageAsync(query, page!, cancellationToken)
            : await FilteredPageAsync(query, page!, selector, cancellationToken);
        var items = await kind.ReadAsync(db, rows, scope!, cancellationToken);
        return TypedResults.Ok(new ResourceList<TResource>(ApiVersions.V1, kind.Kind + "List", new ListMeta(next), items));
    }

    private static async Task<(List<TRow> Rows, string? Continue)> PageAsync(IQueryable<TRow> query, PageRequest page, CancellationToken cancellationToken)
    {
        var rows = await After(query, page.After).Take(page.Limit + 1).ToListAsync(cancellationToken);
        return rows.Count > page.Limit
            ? (rows[..page.Limit], PageRequest.Encode(rows[page.Limit - 1].Name))
            : (rows, null);
    }

    /// <summary>
    /// Labels are filtered here, not in SQL (they are a JSON column, read differently by each provider): rows are
    /// scanned in name order until the page is full. A scan is capped, so a rare label cannot make one request read a
    /// whole table; a capped page may hold fewer items than asked, with a continue token, as in Kubernetes.
    /// </summary>
    private static async Task<(List<TRow> Rows, string? Continue)> FilteredPageAsync(
        IQueryable<TRow> query, PageRequest page, LabelSelector selector, CancellationToken cancellationToken)
    {
        var batchSize = Math.Max(page.Limit, 100);
        var scanCap = Math.Max(page.Limit * 10, 1000);
        var matched = new List<TRow>();
        var cursor = page.After;
        for (var scanned = 0; scanned < scanCap;)
        {
            var batch = await After(query, cursor).Take(batchSize).ToListAsync(cancellationToken);
            foreach (var row in batch)
            {
                scanned++;
                cursor = row.Name;
                if (selector.Matches(Envelope.LabelsFromJson(row.Labels)))
                {
                    matched.Add(row);
                    if (matched.Count > page.Limit)
                    {
                        return (matched[..page.Limit], PageRequest.Encode(matched[page.Limit - 1].Name));
                    }
                }
            }
            if (batch.Count < batchSize)
            {
                return (matched, null);
            }
        }
        return (matched, cursor is null ? null : PageRequest.Encode(cursor));
    }

    private static IQueryable<TRow> After(IQueryable<TRow> query, string? after) =>
        (after is null ? query : query.Where(r => string.Compare(r.Name, after) > 0)).OrderBy(r => r.Name).AsNoTracking();

    public async Task<IResult> GetAsync(HttpContext http, DflareDbContext db, string name, CancellationToken cancellationToken)
    {
        var (scope, scopeProblem) = await resolveScope(http, db, cancellationToken);
        if (scopeProblem is not null)
        {
            return scopeProblem;
        }
        var row = await kind.Query(db, scope!).AsNoTracking().FirstOrDefaultAsync(r => r.Name == name, cancellationToken);
        if (row is null)
        {
            return Problem.NotFound(kind.Kind, name);
        }
        http.Response.Headers.ETag = Preconditions.ETagOf(row);
        return Preconditions.IsNotModified(http.Request, row)
            ? TypedResults.StatusCode(StatusCodes.Status304NotModified)
            : TypedResults.Ok((await kind.ReadAsync(db, [row], scope!, cancellationToken))[0]);
    }

    public async Task<IResult> CreateAsync(
        HttpContext http, DflareDbContext db, IdempotencyStore idempotency, TimeProvider time, CancellationToken cancellationToken)
    {
        var (body, bodySha256, scope, problem) = await ReadWriteAsync(http, db, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var (keyed, keyProblem) = IdempotencyRequest.From(http, bodySha256!);
        if (keyProblem is not null)
        {
            return keyProblem;
        }
        if (keyed is not null && await idempotency.ReplayAsync(keyed, cancellationToken) is { } replay)
        {
            return replay;
        }
        var validation = new Validation();
        kind.Validate(validation, body!, scope!, creating: true);
        if (validation.IsValid)
        {
            await kind.CheckAsync(validation, db, body!, scope!, null, cancellationToken);
        }
        if (!validation.IsValid)
        {
            return Problem.Validation(validation.Errors);
        }
        var now = Envelope.Timestamp(time.GetUtcNow());
        var row = kind.NewRow(body!, scope!, now);
        row.ResourceVersion = 1;
        row.UpdatedAt = now;
        db.Add(row);
        // Everything the create sets off (values taken from pools, a workflow run) commits with the row or not at all.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        try
        {
            await kind.WritingAsync(db, row, body!, scope!, creating: true, cancellationToken);
        }
        catch (ResourceConflictException conflict)
        {
            return Problem.Of(StatusCodes.Status409Conflict, conflict.Code, conflict.Title, conflict.Message);
        }
        var created = kind.ToResource(row, scope!);
        var location = $"{http.Request.PathBase}{http.Request.Path.Value!.TrimEnd('/')}/{row.Name}";
        var etag = Preconditions.ETagOf(row);
        if (keyed is not null)
        {
            idempotency.Stage(keyed, StatusCodes.Status201Created, created, location, etag);
        }
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch (DbUpdateException ex) when (StoreErrors.IsForeignKeyViolation(ex))
        {
            return UnknownReference();
        }
        catch (DbUpdateException ex) when (StoreErrors.IsUniqueViolation(ex))
        {
            await transaction.RollbackAsync(cancellationToken);
            db.ChangeTracker.Clear();
            // A concurrent twin with the same key may have won the race: answer what it answered.
            if (keyed is not null && await idempotency.ReplayAsync(keyed, cancellationToken) is { } twin)
            {
                return twin;
            }
            return Problem.Of(StatusCodes.Status409Conflict, ProblemCodes.AlreadyExists, $"{kind.Kind} already exists.",
                $"{kind.Kind} '{row.Name}' already exists; choose another name or update the existing one.");
        }
        http.Response.Headers.ETag = etag;
        return TypedResults.Created(location, created);
    }

    public async Task<IResult> ReplaceAsync(
        HttpContext http, DflareDbContext db, TimeProvider time, string name, CancellationToken cancellationToken)
    {
        var (body, bodySha256, scope, problem) = await ReadWriteAsync(http, db, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var row = await kind.Query(db, scope!).FirstOrDefaultAsync(r => r.Name == name, cancellationToken);
        if (row is null)
        {
            return Problem.NotFound(kind.Kind, name);
        }
        if (Preconditions.Check(http.Request, row, body!.Metadata) is { } failed)
        {
            return failed;
        }
        var validation = new Validation();
        kind.Validate(validation, body, scope!, creating: false);
        if (body.Metadata?.Name is { } bodyName && bodyName != name)
        {
            validation.Add("metadata.name", FieldErrorCodes.Mismatch, $"metadata.name '{bodyName}' differs from the name in the path, '{name}'; objects cannot be renamed.");
        }
        if (validation.IsValid)
        {
            await kind.CheckAsync(validation, db, body, scope!, row, cancellationToken);
        }
        if (!validation.IsValid)
        {
            return Problem.Validation(validation.Errors);
        }
        kind.Apply(row, body);
        // A write that changes nothing keeps its version, so clients holding the ETag are not sent back to re-read.
        if (db.Entry(row).Properties.Any(p => p.IsModified))
        {
            row.ResourceVersion++;
            row.UpdatedAt = Envelope.Timestamp(time.GetUtcNow());
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            try
            {
                await kind.WritingAsync(db, row, body, scope!, creating: false, cancellationToken);
            }
            catch (ResourceConflictException conflict)
            {
                return Problem.Of(StatusCodes.Status409Conflict, conflict.Code, conflict.Title, conflict.Message);
            }
            try
            {
                await db.SaveChangesAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
            }
            catch (DbUpdateConcurrencyException)
            {
                return Problem.PreconditionFailed($"{kind.Kind} '{name}' was changed by another request while this one ran. Read it again and retry.");
            }
            catch (DbUpdateException ex) when (StoreErrors.IsForeignKeyViolation(ex))
            {
                return UnknownReference();
            }
        }
        http.Response.Headers.ETag = Preconditions.ETagOf(row);
        return TypedResults.Ok(kind.ToResource(row, scope!));
    }

    public async Task<IResult> DeleteAsync(HttpContext http, DflareDbContext db, string name, CancellationToken cancellationToken)
    {
        var (scope, scopeProblem) = await resolveScope(http, db, cancellationToken);
        if (scopeProblem is not null)
        {
            return scopeProblem;
        }
        var row = await kind.Query(db, scope!).FirstOrDefaultAsync(r => r.Name == name, cancellationToken);
        if (row is null)
        {
            return Problem.NotFound(kind.Kind, name);
        }
        if (Preconditions.Check(http.Request, row) is { } failed)
        {
            return failed;
        }
        // What lives beside the row goes with it, or nothing does (a refused delete rolls it back).
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        try
        {
            await kind.RemovingAsync(db, row, scope!, http.Request.Query["force"] == "true", cancellationToken);
        }
        catch (ResourceConflictException conflict)
        {
            return Problem.Of(StatusCodes.Status409Conflict, conflict.Code, conflict.Title, conflict.Message);
        }
        db.Remove(row);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            return Problem.PreconditionFailed($"{kind.Kind} '{name}' was changed or deleted by another request while this one ran.");
        }
        catch (DbUpdateException ex) when (StoreErrors.IsForeignKeyViolation(ex))
        {
            return Problem.Of(StatusCodes.Status409Conflict, ProblemCodes.HasDependents, $"{kind.Kind} cannot be deleted yet.",
                $"{kind.Kind} '{name}' cannot be deleted: {kind.DependentsExplanation}.");
        }
        return TypedResults.NoContent();
    }

    /// <summary>The store refused a reference to an object that does not exist: one error per reference field, since
    /// SQLite does not say which constraint failed.</summary>
    private IResult UnknownReference() => Problem.Validation([.. kind.ReferenceFields.Select(field =>
        new FieldError(field, FieldErrorCodes.UnknownReference, $"{field} names an object that does not exist."))]);

    /// <summary>What every write starts with: the strict body, then the owning scope (404 when it is missing).</summary>
    private async Task<(TResource? Body, string? Sha256, TScope? Scope, IResult? Problem)> ReadWriteAsync(
        HttpContext http, DflareDbContext db, CancellationToken cancellationToken)
    {
        var body = await RequestBodies.ReadAsync<TResource>(http, cancellationToken);
        if (body.Problem is not null)
        {
            return (null, null, default, body.Problem);
        }
        var (scope, scopeProblem) = await resolveScope(http, db, cancellationToken);
        return (body.Value, body.Sha256, scope, scopeProblem);
    }
}
