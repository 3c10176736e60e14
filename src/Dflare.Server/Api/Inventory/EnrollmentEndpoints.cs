using Dflare.Core.Identity;
using Dflare.Server.Access;
using System.Text.Json.Nodes;
using Dflare.Core.Inventory;
using Dflare.Core.Provisioning;
using Dflare.Core.Resources;
using Dflare.Core.Secrets;
using Dflare.Core.Workflows;
using Dflare.Persistence.Store;
using Dflare.Server.Api.Json;
using Dflare.Server.Api.Problems;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Dflare.Server.Api.Inventory;

/// <summary>Enrolling many machines at once: from an expected-machines manifest, or by crawling BMCs.</summary>
public static class EnrollmentEndpoints
{
    public static void MapEnrollment(this RouteGroupBuilder api)
    {
        api.MapPost("/manifests", ApplyManifestAsync).RequirePermission(Permissions.InventoryWrite).WithName("applyInventoryManifest").WithTags("Inventory")
            .WithSummary("Enrol sites, racks, SKUs, images and nodes from an expected-machines list, all or nothing; existing names are left as they are.")
            .Produces<ManifestResult>().ProducesValidationProblem(StatusCodes.Status422UnprocessableEntity);
        api.MapPost("/discoveries", DiscoverAsync).RequirePermission(Permissions.InventoryWrite).WithName("discoverBmcs").WithTags("Inventory")
            .WithSummary("Crawl BMC addresses and enrol every machine that answers; answers the operation, whose output lists what was found.")
            .Produces<Operation>(StatusCodes.Status202Accepted).ProducesValidationProblem(StatusCodes.Status422UnprocessableEntity);
    }

    private static async Task<IResult> ApplyManifestAsync(
        HttpContext http, DflareDbContext db, SecretProtector secrets, TimeProvider time, CancellationToken cancellationToken)
    {
        var body = await RequestBodies.ReadAsync<InventoryManifest>(http, cancellationToken);
        if (body.Problem is not null)
        {
            return body.Problem;
        }
        // A list sent as null is an empty list (the JSON reader sets null over the property's default).
        var manifest = body.Value! with
        {
            Sites = body.Value.Sites ?? [], Racks = body.Value.Racks ?? [], Skus = body.Value.Skus ?? [], Images = body.Value.Images ?? [], Nodes = body.Value.Nodes ?? [],
        };
        var errors = await InventoryManifests.ValidateAsync(db, manifest, () => secrets, cancellationToken);
        if (errors.Count > 0)
        {
            return Problem.Validation(errors);
        }
        try
        {
            return TypedResults.Ok(await InventoryManifests.ApplyAsync(db, manifest, () => secrets, time.GetUtcNow(), cancellationToken));
        }
        catch (DbUpdateException ex) when (StoreErrors.IsUniqueViolation(ex) || StoreErrors.IsForeignKeyViolation(ex))
        {
            return Problem.Of(StatusCodes.Status409Conflict, ProblemCodes.AlreadyExists, "The inventory changed while the manifest was applied.",
                "Another request enrolled or removed some of the same objects at the same moment; nothing was applied. Apply the manifest again.");
        }
    }

    private static async Task<IResult> DiscoverAsync(
        HttpContext http, DflareDbContext db, WorkflowClient workflows, SecretProtector secrets, CancellationToken cancellationToken)
    {
        var body = await RequestBodies.ReadAsync<DiscoveryRequest>(http, cancellationToken);
        if (body.Problem is not null)
        {
            return body.Problem;
        }
        var request = body.Value!;
        var validation = new Validation();
        if (validation.Required("addresses", request.Addresses))
        {
            if (request.Addresses!.Count is 0 or > DiscoverBmcsWorkflow.MaxAddresses)
            {
                validation.Add("addresses", FieldErrorCodes.OutOfRange, $"addresses must list 1 to {DiscoverBmcsWorkflow.MaxAddresses} BMCs; it lists {request.Addresses.Count}.");
            }
            for (var i = 0; i < request.Addresses.Count; i++)
            {
                if (!Uri.TryCreate(request.Addresses[i], UriKind.Absolute, out var address) || address.Scheme is not ("http" or "https" or "sim") || request.Addresses[i].Length > 512)
                {
                    validation.Add($"addresses[{i}]", FieldErrorCodes.InvalidFormat, $"addresses[{i}] '{request.Addresses[i]}' must be an http(s) BMC address (or sim://bmc/<id>).");
                }
            }
        }
        if (validation.Required("username", request.Username))
        {
            validation.Text("username", request.Username, 128);
        }
        if (validation.Required("password", request.Password))
        {
            validation.Text("password", request.Password, 256);
        }
        Names.Validate(validation, "rack", request.Rack);
        Names.Validate(validation, "sku", request.Sku);
        if (request.Image is not null)
        {
            Names.Validate(validation, "image", request.Image);
        }
        if (validation.IsValid)
        {
            if (!await db.Racks.AnyAsync(r => r.Name == request.Rack, cancellationToken))
            {
                validation.Add("rack", FieldErrorCodes.UnknownReference, $"rack '{request.Rack}' does not exist.");
            }
            if (!await db.Skus.AnyAsync(s => s.Name == request.Sku, cancellationToken))
            {
                validation.Add("sku", FieldErrorCodes.UnknownReference, $"sku '{request.Sku}' does not exist.");
            }
            if (request.Image is not null && !await db.Images.AnyAsync(i => i.Name == request.Image, cancellationToken))
            {
                validation.Add("image", FieldErrorCodes.UnknownReference, $"image '{request.Image}' does not exist.");
            }
        }
        if (!validation.IsValid)
        {
            return Problem.Validation(validation.Errors);
        }
        // The password travels sealed, as nodes keep it: the run's input is stored.
        var input = new JsonObject
        {
            ["addresses"] = new JsonArray([.. request.Addresses!.Select(a => (JsonNode)a)]),
            ["username"] = request.Username,
            ["passwordSealed"] = secrets.Seal(NodeKind.BmcPasswordPurpose, request.Password!),
            ["rack"] = request.Rack,
            ["sku"] = request.Sku,
            ["image"] = request.Image,
        };
        var run = (await workflows.StartAsync(db, DiscoverBmcsWorkflow.Name, $"rack/{request.Rack}", input, cancellationToken))!;
        var steps = await db.WorkflowSteps.AsNoTracking().Where(s => s.RunId == run.Id).OrderBy(s => s.Index).ToListAsync(cancellationToken);
        return TypedResults.Accepted($"/api/v1/operations/{run.Id}", Operation.From(run, steps));
    }
}
