using System.Globalization;
using System.Text;

namespace Dflare.Core.Volumes;

/// <summary>A volume's ACL as POSIX filesystems (local, Lustre) take it.</summary>
public static class VolumeAcls
{
    /// <summary>In <c>setfacl --set</c> form: owner root rwx, no group or other access, one entry per grant.</summary>
    /// <param name="volume">Whose grants.</param>
    /// <param name="writable">False closes the mask: every grant read-only.</param>
    /// <param name="recursive">For a whole tree: <c>X</c> (execute on directories and executables only) instead of <c>x</c>.</param>
    public static string SetfaclText(VolumeSpec volume, bool writable, bool recursive = false)
    {
        var x = recursive ? "X" : "x";
        var acl = new StringBuilder($"u::rw{x},g::---,o::---,");
        acl.Append(writable ? $"m::rw{x}" : $"m::r-{x}");
        foreach (var entry in volume.Acl)
        {
            acl.Append(CultureInfo.InvariantCulture, $",{(entry.Principal == AclPrincipal.User ? 'u' : 'g')}:{entry.Id}:{(entry.Access == VolumeAccess.ReadWrite ? "rw" : "r-")}{x}");
        }
        return acl.ToString();
    }
}
