using Dflare.Core.Resources;
using Dflare.Persistence.Store;
using Dflare.Server.Api.Problems;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Dflare.Server.Api.Resources;

/// <summary>
/// Maps list, get, create, replace and delete for a synchronous resource kind, with the API conventions written once:
/// cursor pages, ETags and preconditions, idempotent creates, strict bodies and problem documents.
/// </summary>
public static class ResourceEndpoints
{
    public static RouteGroupBuilder MapResource<TResource, TRow, TScope>(
        this RouteGroupBuilder group, IResourceKind<TResource, TRow, TScope> kind, ScopeResolver<TScope> resolveScope,
        ResourceAccess access, ListNarrowing<TRow>? narrow = null, bool mapDelete = true)
        where TResource : class, IResource
        where TRow : class, IVersionedRow
    {
        var handlers = new ResourceHandlers<TResource, TRow, TScope>(kind, resolveScope, narrow);
        var plural = kind.Kind + "s";
        group.WithTags(plural);

        group.MapGet("", handlers.ListAsync)
            .WithMetadata(access.List).WithName($"list{plural}").WithSummary($"List {plural}, ordered by name, one page at a time.")
            .Produces<ResourceList<TResource>>()
            .ProducesProblem(StatusCodes.Status400BadRequest);
        group.MapGet("{name}", handlers.GetAsync)
            .WithMetadata(access.Get).WithName($"get{kind.Kind}").WithSummary($"Read one {kind.Kind}; answers its ETag.")
            .Produces<TResource>().Produces(StatusCodes.Status304NotModified)
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("", handlers.CreateAsync)
            .WithMetadata(access.Create).WithName($"create{kind.Kind}").WithSummary($"Create a {kind.Kind}. Send Idempotency-Key to retry safely.")
            .Accepts<TResource>("application/json", "application/yaml")
            .Produces<TResource>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        group.MapPut("{name}", handlers.ReplaceAsync)
            .WithMetadata(access.Replace).WithName($"replace{kind.Kind}").WithSummary($"Replace a {kind.Kind}'s labels and spec. Send If-Match to update safely.")
            .Accepts<TResource>("application/json", "application/yaml")
            .Produces<TResource>()
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        if (!mapDelete)
        {
            // The kind deletes through a workflow and maps its own DELETE answering the operation.
            return group;
        }
        group.MapDelete("{name}", handlers.DeleteAsync)
            .WithMetadata(access.Delete).WithName($"delete{kind.Kind}").WithSummary($"Delete a {kind.Kind}. Refused while other objects belong to it.")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed);
        return group;
    }
}
