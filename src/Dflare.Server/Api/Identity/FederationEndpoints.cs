using System.Text.Json;
using Dflare.Core.Identity;
using Dflare.Core.Resources;
using Dflare.Persistence.Identity;
using Dflare.Persistence.Store;
using Dflare.Server.Access;
using Dflare.Server.Api.Json;
using Dflare.Server.Api.Problems;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dflare.Server.Api.Identity;

public sealed record FederationSpec(string? Issuer, string? ClientId, string? GroupsClaim, string? UsernameClaim, IReadOnlyDictionary<string, string>? GroupMapping);

public sealed record FederationView(string Realm, string Issuer, string ClientId, string GroupsClaim, string UsernameClaim, IReadOnlyDictionary<string, string> GroupMapping, DateTimeOffset UpdatedAt);

/// <summary><c>/api/v1/realms/{realm}/federation</c>: the external OpenID provider a realm trusts, if any.</summary>
public static class FederationEndpoints
{
    public static void MapFederation(this RouteGroupBuilder realm)
    {
        realm.MapGet("/federation", GetAsync).RequirePermissionInRealm(Permissions.IdentityRead).WithName("getRealmFederation")
            .Produces<FederationView>().ProducesProblem(StatusCodes.Status404NotFound);
        realm.MapPut("/federation", PutAsync).RequirePermission(Permissions.RealmsFederate).WithName("setRealmFederation")
            .WithSummary("Trust an external OpenID provider for this realm only: its issuer, the audience (client id) of its tokens, and how its groups map onto the realm's.")
            .Accepts<FederationSpec>("application/json", "application/yaml").Produces<FederationView>()
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        realm.MapDelete("/federation", DeleteAsync).RequirePermission(Permissions.RealmsFederate).WithName("deleteRealmFederation")
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static async Task<IResult> GetAsync(string realm, DflareDbContext db, CancellationToken cancellationToken)
    {
        var row = await db.RealmFederations.AsNoTracking().FirstOrDefaultAsync(f => f.Realm == realm, cancellationToken);
        return row is not null ? TypedResults.Ok(View(row))
            : await RealmDirectory.ExistsAsync(db, realm, cancellationToken) ? Problem.NotFound("Federation", realm) : Problem.NotFound("Realm", realm);
    }

    private static async Task<IResult> PutAsync(
        string realm, HttpContext http, DflareDbContext db, IssuerAddress issuer, FederatedTokenValidator federated,
        IOptions<IdentityOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        var (body, problem) = await RealmDirectory.ReadBodyAsync<FederationSpec>(realm, http, db, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var spec = body!;
        var validation = new Validation();
        if (validation.Required("issuer", spec.Issuer))
        {
            if (!Uri.TryCreate(spec.Issuer, UriKind.Absolute, out var uri) || !(uri.Scheme == "https" || (uri.Scheme == "http" && options.Value.AllowHttpFederation))
                || uri.Query.Length > 0 || uri.Fragment.Length > 0)
            {
                validation.Add("issuer", FieldErrorCodes.InvalidFormat, options.Value.AllowHttpFederation
                    ? "issuer must be an http or https URL without query or fragment."
                    : "issuer must be an https URL without query or fragment (Identity:AllowHttpFederation allows http in a lab).");
            }
            else if (issuer.RealmOf(spec.Issuer) is not null)
            {
                validation.Add("issuer", FieldErrorCodes.InvalidValue, "issuer names one of this control plane's own realms.");
            }
            validation.Text("issuer", spec.Issuer, 512);
        }
        validation.Required("clientId", spec.ClientId);
        validation.Text("clientId", spec.ClientId, 256);
        validation.Text("groupsClaim", spec.GroupsClaim, 64);
        validation.Text("usernameClaim", spec.UsernameClaim, 64);
        foreach (var (external, group) in spec.GroupMapping ?? new Dictionary<string, string>())
        {
            if (!Names.IsDnsLabel(group))
            {
                validation.Add($"groupMapping.{external}", FieldErrorCodes.InvalidFormat, $"groupMapping.{external} must name a group of the realm: a DNS label.");
            }
        }
        if (!validation.IsValid)
        {
            return Problem.Validation(validation.Errors);
        }
        if (await db.RealmFederations.AnyAsync(f => f.Issuer == spec.Issuer && f.Realm != realm, cancellationToken))
        {
            return IssuerTaken();
        }
        var now = time.GetUtcNow();
        var row = await db.RealmFederations.FirstOrDefaultAsync(f => f.Realm == realm, cancellationToken);
        var previousIssuer = row?.Issuer;
        if (row is null)
        {
            row = new RealmFederationRow { Realm = realm, Issuer = "", ClientId = "", GroupsClaim = "", UsernameClaim = "", GroupMapping = "{}", CreatedAt = now };
            db.RealmFederations.Add(row);
        }
        row.Issuer = spec.Issuer!;
        row.ClientId = spec.ClientId!;
        row.GroupsClaim = spec.GroupsClaim ?? "groups";
        row.UsernameClaim = spec.UsernameClaim ?? "preferred_username";
        row.GroupMapping = JsonSerializer.Serialize(spec.GroupMapping ?? new Dictionary<string, string>());
        row.UpdatedAt = now;
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException ex) when (StoreErrors.IsUniqueViolation(ex))
        {
            return IssuerTaken();
        }
        federated.Invalidate(row.Issuer);
        if (previousIssuer is not null)
        {
            federated.Invalidate(previousIssuer);
        }
        return TypedResults.Ok(View(row));
    }

    private static async Task<IResult> DeleteAsync(string realm, DflareDbContext db, FederatedTokenValidator federated, CancellationToken cancellationToken)
    {
        var row = await db.RealmFederations.FirstOrDefaultAsync(f => f.Realm == realm, cancellationToken);
        if (row is null)
        {
            return await RealmDirectory.ExistsAsync(db, realm, cancellationToken) ? Problem.NotFound("Federation", realm) : Problem.NotFound("Realm", realm);
        }
        db.RealmFederations.Remove(row);
        await db.SaveChangesAsync(cancellationToken);
        federated.Invalidate(row.Issuer);
        return TypedResults.NoContent();
    }

    private static IResult IssuerTaken() => Problem.Of(StatusCodes.Status409Conflict, ProblemCodes.AlreadyExists, "Another realm trusts this issuer.",
        "An issuer is trusted by one realm at most, so its tokens can never speak for two.");

    private static FederationView View(RealmFederationRow row) => new(
        row.Realm, row.Issuer, row.ClientId, row.GroupsClaim, row.UsernameClaim,
        JsonSerializer.Deserialize<Dictionary<string, string>>(row.GroupMapping) ?? [], row.UpdatedAt);
}
