using System.Globalization;
using System.Text;

namespace Dflare.Core.Volumes;

/// <summary>A volume's ACL as POSIX filesystems (local, Lustre) take it.</summary>
public static class VolumeAcls
{
    /// <summary>In <c>setfacl --set</c> form: owner root rwx, no group or other access, one entry per grant; a closed
    /// (<paramref name="writable"/> false) mask makes every grant read-only.</summary>
    public static string SetfaclText(VolumeSpec volume, bool writable)
    {
        var acl = new StringBuilder("u::rwx,g::---,o::---,");
        acl.Append(writable ? "m::rwx" : "m::r-x");
        foreach (var entry in volume.Acl)
        {
            acl.Append(CultureInfo.InvariantCulture, $",{(entry.Principal == AclPrincipal.User ? 'u' : 'g')}:{entry.Id}:{(entry.Access == VolumeAccess.ReadWrite ? "rwx" : "r-x")}");
        }
        return acl.ToString();
    }
}
