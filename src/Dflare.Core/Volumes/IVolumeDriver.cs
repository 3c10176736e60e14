namespace Dflare.Core.Volumes;

/// <summary>Read or read-write, for one ACL entry.</summary>
public enum VolumeAccess
{
    Read,
    ReadWrite,
}

/// <summary>Whom an ACL entry is for: a POSIX user or group as nodes see it (a tenant's users and project identities are
/// mapped onto numeric ids by the identity service; the driver only ever sees the numbers).</summary>
public enum AclPrincipal
{
    User,
    Group,
}

public sealed record VolumeAclEntry(AclPrincipal Principal, int Id, VolumeAccess Access);

/// <summary>What a driver needs to know of a volume. <see cref="Key"/> names it on the backend and never changes.</summary>
public sealed record VolumeSpec(
    string Tenant, string Project, string Name, Guid Id, long QuotaBytes, long QuotaInodes, IReadOnlyList<VolumeAclEntry> Acl)
{
    /// <summary>The volume's place on the backend: <c>{tenant}/{project}/{name}-{id}</c>, so a deleted and re-created
    /// volume of the same name never meets its predecessor's files.</summary>
    public string Key => $"{Tenant}/{Project}/{Name}-{Id:N}";
}

/// <summary>Bytes and inodes in use, and whether the driver has stopped writes because a quota is exceeded.</summary>
public sealed record VolumeUsage(long Bytes, long Inodes, bool OverQuota, bool WritesStopped);

/// <summary>Why a driver operation failed, and whether trying again can help.</summary>
public sealed class VolumeDriverException(string message, bool transient, Exception? inner = null) : Exception(message, inner)
{
    public bool Transient { get; } = transient;
}

/// <summary>
/// One storage backend's volume operations. Every operation is idempotent (the workflow engine retries steps), and
/// a volume is named on the backend by <see cref="VolumeSpec.Key"/> alone, so the control plane's records and the
/// backend can be compared (<see cref="ListAsync"/>) to find orphans.
/// </summary>
public interface IVolumeDriver
{
    /// <summary>Creates the volume if it is missing, and (re)applies its ownership, ACL and quota. Answers where it is.</summary>
    Task<string> EnsureAsync(VolumeSpec volume, CancellationToken cancellationToken);

    /// <summary>Usage now; a driver that cannot have the filesystem enforce quota stops writes when it is exceeded and
    /// resumes them once usage is back under (see its docs).</summary>
    Task<VolumeUsage> EnforceAsync(VolumeSpec volume, CancellationToken cancellationToken);

    /// <summary>Removes the volume and everything in it; nothing to do if it is gone.</summary>
    Task DeleteAsync(VolumeSpec volume, CancellationToken cancellationToken);

    /// <summary>The keys of every volume present on the backend.</summary>
    Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken);
}
