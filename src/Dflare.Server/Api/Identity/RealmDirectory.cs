using Dflare.Core.Identity;
using Dflare.Persistence.Store;
using Dflare.Server.Api.Json;
using Dflare.Server.Api.Problems;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;

namespace Dflare.Server.Api.Identity;

/// <summary>Which realms exist: the platform's, and one per tenant.</summary>
internal static class RealmDirectory
{
    public static async Task<bool> ExistsAsync(DflareDbContext db, string realm, CancellationToken cancellationToken) =>
        realm == Realms.Platform || (Realms.IsValidName(realm) && await db.Tenants.AnyAsync(t => t.Name == realm, cancellationToken));

    /// <summary>A write's strict body, once the realm is known to exist; or the problem (400/413/422, or 404 for the realm).</summary>
    public static async Task<(T? Spec, IResult? Problem)> ReadBodyAsync<T>(string realm, HttpContext http, DflareDbContext db, CancellationToken cancellationToken)
        where T : class
    {
        var body = await RequestBodies.ReadAsync<T>(http, cancellationToken);
        if (body.Problem is not null)
        {
            return (null, body.Problem);
        }
        return await ExistsAsync(db, realm, cancellationToken) ? (body.Value, null) : (null, Problem.NotFound("Realm", realm));
    }
}
