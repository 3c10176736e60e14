namespace Dflare.Core.Identity;

/// <summary>Where the realms' issuers live (<c>{address}/realms/{realm}</c>); known only once the listener is bound.</summary>
public sealed class IssuerAddress(Func<Uri> resolve)
{
    private Uri? _address;

    public Uri Address => _address ??= resolve();

    public string For(string realm) => Realms.Issuer(Address, realm);

    /// <summary>The realm an issuer names, or null if it is not one of ours.</summary>
    public string? RealmOf(string? issuer)
    {
        var prefix = Address.ToString().TrimEnd('/') + "/realms/";
        if (issuer is null || !issuer.StartsWith(prefix, StringComparison.Ordinal))
        {
            return null;
        }
        var realm = issuer[prefix.Length..];
        return Realms.IsValidName(realm) ? realm : null;
    }
}
