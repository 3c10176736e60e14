using System.Xml.Linq;
using Dflare.Core.Secrets;
using Dflare.Persistence.Identity;
using Dflare.Persistence.Store;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace Dflare.Server.Portal;

/// <summary>
/// Data Protection's key ring (it encrypts the portal's sign-in cookies) in the state store, so that every replica
/// reads the same keys and a restart signs nobody out; each key's XML is sealed with the secrets key, as BMC
/// passwords are.
/// </summary>
/// <remarks>Its dependencies are resolved at first use: Data Protection is built early (while the pipeline is put
/// together), before an invalid configuration has been reported the way the configuration check reports it.</remarks>
internal sealed class StoreKeyRepository(Func<DflareDbContext> openStore, Func<SecretProtector> secrets, TimeProvider time) : IXmlRepository
{
    private const string Purpose = "data-protection-key";

    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var db = openStore();
        return [.. db.DataProtectionKeys.OrderBy(k => k.CreatedAt).AsEnumerable().Select(k => XElement.Parse(secrets().Open(Purpose, k.SealedXml)))];
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        using var db = openStore();
        db.DataProtectionKeys.Add(new DataProtectionKeyRow
        {
            Id = Guid.CreateVersion7(), FriendlyName = friendlyName, SealedXml = secrets().Seal(Purpose, element.ToString(SaveOptions.DisableFormatting)), CreatedAt = time.GetUtcNow(),
        });
        db.SaveChanges();
    }
}
