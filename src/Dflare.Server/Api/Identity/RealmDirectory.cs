using Dflare.Core.Identity;
using Dflare.Persistence.Store;
using Microsoft.EntityFrameworkCore;

namespace Dflare.Server.Api.Identity;

/// <summary>Which realms exist: the platform's, and one per tenant.</summary>
internal static class RealmDirectory
{
    public static async Task<bool> ExistsAsync(DflareDbContext db, string realm, CancellationToken cancellationToken) =>
        realm == Realms.Platform || (Realms.IsValidName(realm) && await db.Tenants.AnyAsync(t => t.Name == realm, cancellationToken));
}
