using Dflare.Persistence.Store;
using Microsoft.EntityFrameworkCore;

namespace Dflare.Core.Identity;

/// <summary>Everything a realm owns, removed with its tenant so that a later tenant of the same name starts empty.</summary>
public static class RealmData
{
    /// <summary>Deletes the realm's accounts, groups, bindings, roles, policies, tokens, device codes, keys and
    /// federation, in the caller's transaction. The audit log keeps its entries (it is history); a new tenant of the
    /// same name does not see the ones from before it was created.</summary>
    public static async Task DeleteAsync(DflareDbContext db, string realm, CancellationToken cancellationToken)
    {
        await db.GroupMembers.Where(m => m.Realm == realm).ExecuteDeleteAsync(cancellationToken);
        await db.RoleBindings.Where(b => b.Realm == realm).ExecuteDeleteAsync(cancellationToken);
        await db.RefreshTokens.Where(t => t.Realm == realm).ExecuteDeleteAsync(cancellationToken);
        await db.DeviceAuthorizations.Where(d => d.Realm == realm).ExecuteDeleteAsync(cancellationToken);
        await db.Principals.Where(p => p.Realm == realm).ExecuteDeleteAsync(cancellationToken);
        await db.CustomRoles.Where(r => r.Realm == realm).ExecuteDeleteAsync(cancellationToken);
        await db.AccessPolicies.Where(p => p.Realm == realm).ExecuteDeleteAsync(cancellationToken);
        await db.RealmFederations.Where(f => f.Realm == realm).ExecuteDeleteAsync(cancellationToken);
        await db.RealmKeys.Where(k => k.Realm == realm).ExecuteDeleteAsync(cancellationToken);
    }
}
