using Dflare.Core.Identity;
using Dflare.Server.Access;
using Dflare.Core.Resources;
using Dflare.Core.Workflows;
using Dflare.Persistence.Store;
using Dflare.Persistence.Workflows;
using Dflare.Server.Api.Paging;
using Dflare.Server.Api.Problems;
using Dflare.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dflare.Server.Api.Operations;

/// <summary><c>/api/v1/operations</c>: the workflow runs behind every asynchronous change, to watch and to cancel.</summary>
public static class OperationEndpoints
{
    private static readonly string[] Filters = ["workflow", "target", "phase"];

    public static void MapOperations(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/operations").WithTags("Operations");
        group.MapGet("", ListAsync).RequirePermission(Permissions.OperationsRead).WithName("listOperations")
            .WithSummary("List operations, newest last; filter by workflow, target and phase.")
            .Produces<ResourceList<Operation>>().ProducesProblem(StatusCodes.Status400BadRequest);
        group.MapGet("{id}", GetAsync).RequirePermission(Permissions.OperationsRead).WithName("getOperation")
            .WithSummary("Read one operation: phase, current step, and each step's attempts, errors and timings.")
            .Produces<Operation>().ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("{id}/events", EventsAsync).RequirePermission(Permissions.OperationsRead).WithName("listOperationEvents")
            .WithSummary("The operation's transitions, in order.")
            .Produces<IReadOnlyList<OperationEvent>>().ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("{id}/cancel", CancelAsync).RequirePermission(Permissions.OperationsCancel).WithName("cancelOperation")
            .WithSummary("Stop the operation and undo its completed steps in reverse order.")
            .Produces<Operation>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
    }

    private static Task<IResult> ListAsync(HttpContext http, DflareDbContext db, IOptions<ApiOptions> api, CancellationToken cancellationToken) =>
        ListRunsAsync(http, db, api.Value, db.WorkflowRuns.AsNoTracking(), null, cancellationToken);

    /// <summary>A page of <paramref name="query"/>'s runs, filtered by the request; <paramref name="visible"/> drops
    /// runs the caller may not see (after paging, so a page may be shorter than the limit).</summary>
    internal static async Task<IResult> ListRunsAsync(
        HttpContext http, DflareDbContext db, ApiOptions api, IQueryable<WorkflowRunRow> query, Func<WorkflowRunRow, Task<bool>>? visible, CancellationToken cancellationToken)
    {
        var (page, problem) = PageRequest.Parse(http.Request, api, Filters);
        if (problem is not null)
        {
            return problem;
        }
        if (http.Request.Query["workflow"] is { Count: > 0 } workflow)
        {
            var name = workflow.ToString();
            query = query.Where(r => r.Workflow == name);
        }
        if (http.Request.Query["target"] is { Count: > 0 } target)
        {
            var value = target.ToString();
            query = query.Where(r => r.Target == value);
        }
        if (http.Request.Query["phase"] is { Count: > 0 } phaseText)
        {
            if (!Enum.TryParse<RunState>(phaseText.ToString(), ignoreCase: false, out var phase) || !Enum.IsDefined(phase))
            {
                return Problem.BadQuery(ProblemCodes.InvalidQuery, "phase",
                    $"'phase' must be one of {string.Join(", ", Enum.GetNames<RunState>())}; got '{phaseText}'.");
            }
            query = query.Where(r => r.State == phase);
        }
        if (page!.After is { } after)
        {
            if (!Guid.TryParse(after, out var afterId))
            {
                return Problem.BadQuery(ProblemCodes.InvalidCursor, PageRequest.ContinueParameter, "'continue' is not a token this list issued.");
            }
            query = query.Where(r => r.Id.CompareTo(afterId) > 0);
        }
        // Version 7 uids sort by creation time: pages run oldest to newest.
        var runs = await query.OrderBy(r => r.Id).Take(page.Limit + 1).ToListAsync(cancellationToken);
        var page1 = runs.Take(page.Limit).ToList();
        var shown = new List<WorkflowRunRow>();
        foreach (var run in page1)
        {
            if (visible is null || await visible(run))
            {
                shown.Add(run);
            }
        }
        var ids = shown.Select(r => r.Id).ToList();
        var steps = (await db.WorkflowSteps.AsNoTracking().Where(s => ids.Contains(s.RunId)).ToListAsync(cancellationToken))
            .ToLookup(s => s.RunId);
        var items = shown.Select(r => Operation.From(r, [.. steps[r.Id].OrderBy(s => s.Index)])).ToList();
        var next = runs.Count > page.Limit ? PageRequest.Encode(page1[^1].Id.ToString()) : null;
        return TypedResults.Ok(new ResourceList<Operation>(ApiVersions.V1, "OperationList", new ListMeta(next), items));
    }

    private static Task<IResult> GetAsync(DflareDbContext db, string id, CancellationToken cancellationToken) => GetRunAsync(db, id, null, cancellationToken);

    internal static async Task<IResult> GetRunAsync(DflareDbContext db, string id, Func<WorkflowRunRow, Task<bool>>? visible, CancellationToken cancellationToken) =>
        await FindAsync(db, id, visible, cancellationToken) is { } run ? TypedResults.Ok(await LoadAsync(db, run, cancellationToken)) : NotFound(id);

    private static Task<IResult> EventsAsync(DflareDbContext db, string id, CancellationToken cancellationToken) =>
        RunEventsAsync(db, id, null, cancellationToken);

    internal static async Task<IResult> RunEventsAsync(DflareDbContext db, string id, Func<WorkflowRunRow, Task<bool>>? visible, CancellationToken cancellationToken)
    {
        if (await FindAsync(db, id, visible, cancellationToken) is not { } run)
        {
            return NotFound(id);
        }
        var events = await db.WorkflowEvents.AsNoTracking().Where(e => e.RunId == run.Id).OrderBy(e => e.Sequence).ToListAsync(cancellationToken);
        return TypedResults.Ok(events.Select(OperationEvent.From).ToList());
    }

    private static async Task<IResult> CancelAsync(DflareDbContext db, WorkflowClient workflows, string id, CancellationToken cancellationToken)
    {
        if (await FindAsync(db, id, null, cancellationToken) is not { } run)
        {
            return NotFound(id);
        }
        if (!await workflows.RequestCancelAsync(db, run.Id, cancellationToken))
        {
            return Problem.Of(StatusCodes.Status409Conflict, ProblemCodes.OperationFinished, "The operation has already ended.",
                $"Operation {id} has ended; there is nothing to cancel.");
        }
        var cancelling = await db.WorkflowRuns.AsNoTracking().FirstAsync(r => r.Id == run.Id, cancellationToken);
        return TypedResults.Accepted($"/api/v1/operations/{id}", await LoadAsync(db, cancelling, cancellationToken));
    }

    /// <summary>The run <paramref name="id"/> names, if there is one the caller may see.</summary>
    private static async Task<WorkflowRunRow?> FindAsync(DflareDbContext db, string id, Func<WorkflowRunRow, Task<bool>>? visible, CancellationToken cancellationToken)
    {
        var run = Guid.TryParse(id, out var runId) ? await db.WorkflowRuns.AsNoTracking().FirstOrDefaultAsync(r => r.Id == runId, cancellationToken) : null;
        return run is null || (visible is not null && !await visible(run)) ? null : run;
    }

    private static async Task<Operation> LoadAsync(DflareDbContext db, WorkflowRunRow run, CancellationToken cancellationToken)
    {
        var steps = await db.WorkflowSteps.AsNoTracking().Where(s => s.RunId == run.Id).OrderBy(s => s.Index).ToListAsync(cancellationToken);
        return Operation.From(run, steps);
    }

    private static IResult NotFound(string id) => Problem.NotFound(Operation.KindName, id);
}
