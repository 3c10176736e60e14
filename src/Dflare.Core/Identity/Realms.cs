using Dflare.Core.Resources;

namespace Dflare.Core.Identity;

/// <summary>
/// Realm names: <c>platform</c> for operators, and each tenant's name for its realm (a tenant cannot be called
/// <c>platform</c>). A realm exists while its tenant does; its keys are made on first use.
/// </summary>
public static class Realms
{
    public const string Platform = "platform";

    /// <summary>The tenant a realm belongs to, or null for the platform realm.</summary>
    public static string? TenantOf(string realm) => realm == Platform ? null : realm;

    public static bool IsValidName(string realm) => Names.IsDnsLabel(realm);

    public static string Issuer(Uri publicUrl, string realm) => $"{publicUrl.ToString().TrimEnd('/')}/realms/{realm}";
}
