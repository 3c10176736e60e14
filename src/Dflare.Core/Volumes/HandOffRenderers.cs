using System.Globalization;
using System.Text;

namespace Dflare.Core.Volumes;

/// <summary>A node that may mount a volume: its name and its address on the storage fabric (an InfiniBand NID for
/// Lustre, an IP address for NFS).</summary>
public sealed record StorageClient(string Node, string Address);

/// <summary>One mount on one node: what <c>mount -t {FsType} -o {Options} {Source} {Target}</c> would do.</summary>
public sealed record MountPlanEntry(string Node, string Source, string Target, string FsType, string Options);

/// <summary>
/// The production hand-off for Lustre, as commands for the MGS/MDS and the client mounts: a project id per volume
/// with its block and inode quotas (<c>lfs project</c>, <c>lfs setquota -p</c>), and a nodemap per tenant that admits
/// only the tenant's nodes and confines them to the tenant's fileset. Dflare renders these; a site's Lustre
/// administrator (or its automation) runs them — no Lustre exists on these machines to run them against.
/// </summary>
public static class LustreHandOff
{
    /// <summary>The commands that create <paramref name="volume"/> on filesystem <paramref name="fsName"/> (mounted on the
    /// admin node at <paramref name="mountPoint"/>) under Lustre project id <paramref name="projectId"/> (unique per
    /// filesystem), and admit exactly <paramref name="clients"/> to the tenant's fileset.</summary>
    public static IReadOnlyList<string> Commands(string fsName, string mountPoint, VolumeSpec volume, int projectId, IReadOnlyList<StorageClient> clients)
    {
        var directory = $"{mountPoint.TrimEnd('/')}/{volume.Key}";
        var nodemap = NodemapName(volume.Tenant);
        var kib = (volume.QuotaBytes + 1023) / 1024;
        var commands = new List<string>
        {
            $"mkdir -p {directory}",
            $"lfs project -p {projectId} -s -r {directory}",
            string.Create(CultureInfo.InvariantCulture, $"lfs setquota -p {projectId} -b {kib} -B {kib} -i {volume.QuotaInodes} -I {volume.QuotaInodes} {mountPoint}"),
            $"setfacl --set {VolumeAcls.SetfaclText(volume, writable: true)} {directory}",
            $"lctl nodemap_add {nodemap}",
            $"lctl nodemap_modify --name {nodemap} --property fileset --value /{volume.Tenant}",
            $"lctl nodemap_modify --name {nodemap} --property trusted --value 0",
            $"lctl nodemap_modify --name {nodemap} --property admin --value 0",
        };
        commands.AddRange(clients.Select(c => $"lctl nodemap_add_range --name {nodemap} --range {c.Address}"));
        commands.Add($"lctl nodemap_activate 1 # filesystem {fsName}");
        return commands;
    }

    /// <summary>The nodemap of a tenant: a Lustre name of at most 16 characters, stable for the tenant.</summary>
    public static string NodemapName(string tenant) => tenant.Length <= 13 ? $"dfl{tenant}" : $"dfl{tenant[..8]}{Hash(tenant)}";

    public static IReadOnlyList<MountPlanEntry> MountPlan(string mgsNid, string fsName, VolumeSpec volume, string target, bool readOnly, IReadOnlyList<StorageClient> clients) =>
        [.. clients.Select(c => new MountPlanEntry(c.Node, $"{mgsNid}:/{fsName}/{volume.Key}", target, "lustre", readOnly ? "ro,flock,user_xattr" : "rw,flock,user_xattr"))];

    private static string Hash(string text) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..5];
}

/// <summary>
/// The production hand-off for NFS: one <c>/etc/exports</c> line per volume, listing exactly the nodes of its access
/// map (never a wildcard), with root squashed and the access mode the volume allows; and the clients' mounts over
/// RDMA where the fabric has it.
/// </summary>
public static class NfsHandOff
{
    public static string ExportsLine(string exportRoot, VolumeSpec volume, bool readOnly, IReadOnlyList<StorageClient> clients)
    {
        if (clients.Count == 0)
        {
            // An export with no client would be refused by exportfs; a volume nobody may mount is not exported.
            return $"# {exportRoot.TrimEnd('/')}/{volume.Key}: no node may mount it";
        }
        var options = readOnly ? "ro" : "rw";
        return $"{exportRoot.TrimEnd('/')}/{volume.Key} " + string.Join(' ', clients.Select(c => $"{c.Address}({options},sync,root_squash,no_subtree_check,sec=sys)"));
    }

    public static IReadOnlyList<MountPlanEntry> MountPlan(string server, string exportRoot, VolumeSpec volume, string target, bool readOnly, bool rdma, IReadOnlyList<StorageClient> clients) =>
        [.. clients.Select(c => new MountPlanEntry(c.Node, $"{server}:{exportRoot.TrimEnd('/')}/{volume.Key}", target, "nfs4",
            $"{(readOnly ? "ro" : "rw")},hard,nconnect=8{(rdma ? ",proto=rdma,port=20049" : ",proto=tcp")}"))];
}
