using Dflare.Core.Processes;
using System.Diagnostics;

namespace Dflare.Core.Volumes;

/// <summary>
/// Volumes as directories of a local (or locally mounted) POSIX filesystem: <c>{root}/{tenant}/{project}/{name}-{id}</c>.
/// <list type="bullet">
/// <item>Access is by POSIX ACLs only (<c>setfacl</c>): the volume directory belongs to root, with no group or other
/// access, and each grant becomes a named user or group entry on the whole tree, also as the default ACL so that new
/// files inherit it. The tenant and project directories above are 0711: they can be traversed but not listed.</item>
/// <item>Quota: this filesystem's project quotas are not used (ext4 needs the <c>prjquota</c> mount option, which the
/// machines here lack), so <see cref="EnforceAsync"/> scans usage instead. Each scan makes every file root's (access
/// stays what the ACL grants) and, when the volume is over its byte or inode quota, sets every ACL mask to read-only:
/// nobody but root can write, create or delete until usage is back under quota (or the quota grows) and a later
/// scan restores the masks; the closed masks are re-applied on every scan while over. Writes through files that were
/// already open go on until they are closed, and deleted files still held open are not counted: this is usage
/// scanning, not a filesystem quota, and a volume can overshoot between scans.</item>
/// </list>
/// </summary>
public sealed class PosixVolumeDriver(string root) : IVolumeDriver
{
    /// <summary>Where the driver keeps its own state (which volumes have writes stopped): root's alone, 0700, never
    /// inside a volume a tenant can write to.</summary>
    private const string StateDirectory = ".dflare-state";

    private const UnixFileMode Traversable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
    private const UnixFileMode RootOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public string Root { get; } = Path.GetFullPath(root);

    public async Task<string> EnsureAsync(VolumeSpec volume, CancellationToken cancellationToken)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("POSIX volumes need a POSIX filesystem.");
        }
        var path = PathOf(volume);
        Directory.CreateDirectory(path);
        File.SetUnixFileMode(path, RootOnly);
        // Modes after the create: a concurrent purge may have removed and this call re-created a parent.
        foreach (var directory in new[] { Root, Path.Combine(Root, volume.Tenant), Path.Combine(Root, volume.Tenant, volume.Project) })
        {
            File.SetUnixFileMode(directory, Traversable);
        }
        var stopped = File.Exists(MarkerOf(volume));
        // The whole tree, so that a changed grant reaches what is already there (X: execute only on directories and
        // files that were executable); -P never follows a symbolic link a tenant planted.
        await RunAsync("setfacl", ["-R", "-P", "--set", VolumeAcls.SetfaclText(volume, writable: !stopped, recursive: true), path], cancellationToken);
        var directories = new List<string> { path };
        directories.AddRange(Directory.EnumerateDirectories(path, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }));
        foreach (var batch in directories.Chunk(200))
        {
            await RunAsync("setfacl", ["-d", "--set", VolumeAcls.SetfaclText(volume, writable: true, recursive: true), .. batch], cancellationToken);
        }
        return path;
    }

    public async Task<VolumeUsage> EnforceAsync(VolumeSpec volume, CancellationToken cancellationToken)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("POSIX volumes need a POSIX filesystem.");
        }
        var path = PathOf(volume);
        if (!Directory.Exists(path))
        {
            throw new VolumeDriverException($"volume directory {path} does not exist", transient: false);
        }
        // Files belong to root; users reach them through the ACL's named entries, which the mask can close.
        await RunAsync("chown", ["-R", "--no-dereference", "0:0", path], cancellationToken);
        var (bytes, inodes) = Scan(path);
        var over = bytes > volume.QuotaBytes || inodes > volume.QuotaInodes;
        var marker = MarkerOf(volume);
        if (over)
        {
            // Closed again on every scan while over, so entries made since the last one are closed too.
            Directory.CreateDirectory(Path.GetDirectoryName(marker)!);
            File.SetUnixFileMode(Path.GetDirectoryName(marker)!, RootOnly);
            await File.WriteAllTextAsync(marker, $"over quota: {bytes} bytes of {volume.QuotaBytes}, {inodes} inodes of {volume.QuotaInodes}\n", cancellationToken);
            await RunAsync("setfacl", ["-R", "-P", "-m", "m::rx", path], cancellationToken);
        }
        else if (File.Exists(marker))
        {
            await RunAsync("setfacl", ["-R", "-P", "-m", "m::rwx", path], cancellationToken);
            File.Delete(marker);
        }
        return new VolumeUsage(bytes, inodes, over, over);
    }

    public Task DeleteAsync(VolumeSpec volume, CancellationToken cancellationToken)
    {
        var path = PathOf(volume);
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
        if (File.Exists(MarkerOf(volume)))
        {
            File.Delete(MarkerOf(volume));
        }
        // The tenant's and project's directories go with their last volume, so deletes leave nothing behind.
        foreach (var parent in new[] { Path.Combine(Root, volume.Tenant, volume.Project), Path.Combine(Root, volume.Tenant) })
        {
            if (Directory.Exists(parent) && !Directory.EnumerateFileSystemEntries(parent).Any())
            {
                Directory.Delete(parent);
            }
        }
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken)
    {
        if (!Directory.Exists(Root))
        {
            return Task.FromResult<IReadOnlyList<string>>([]);
        }
        var keys = Directory.EnumerateDirectories(Root).Where(d => Path.GetFileName(d) != StateDirectory)
            .SelectMany(Directory.EnumerateDirectories).SelectMany(Directory.EnumerateDirectories)
            .Select(d => Path.GetRelativePath(Root, d).Replace(Path.DirectorySeparatorChar, '/'))
            .Order(StringComparer.Ordinal).ToList();
        return Task.FromResult<IReadOnlyList<string>>(keys);
    }

    public string PathOf(VolumeSpec volume) => Path.Combine(Root, volume.Tenant, volume.Project, $"{volume.Name}-{volume.Id:N}");

    /// <summary>Names are DNS labels, so dots separate them unambiguously.</summary>
    private string MarkerOf(VolumeSpec volume) => Path.Combine(Root, StateDirectory, $"{volume.Tenant}.{volume.Project}.{volume.Name}-{volume.Id:N}.writes-stopped");

    /// <summary>Bytes and inodes under a directory, the directory itself included; symbolic links are counted, not followed.</summary>
    private static (long Bytes, long Inodes) Scan(string path)
    {
        long bytes = 0, inodes = 1;
        var pending = new Stack<string>([path]);
        while (pending.Count > 0)
        {
            IEnumerable<FileSystemInfo> entries;
            try
            {
                entries = [.. new DirectoryInfo(pending.Pop()).EnumerateFileSystemInfos()];
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A directory removed under the scan: the next scan counts what is there then.
                throw new VolumeDriverException($"scanning {path} failed: {ex.Message}", transient: true, ex);
            }
            foreach (var entry in entries)
            {
                inodes++;
                if (entry is FileInfo file && file.LinkTarget is null)
                {
                    bytes += file.Length;
                }
                else if (entry is DirectoryInfo directory && directory.LinkTarget is null)
                {
                    pending.Push(directory.FullName);
                }
            }
        }
        return (bytes, inodes);
    }

    private static async Task RunAsync(string command, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        ProcessOutcome outcome;
        try
        {
            outcome = await ChildProcess.RunAsync(command, arguments, input: null, cancellationToken);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new VolumeDriverException($"{command} is not installed (Debian package {(command == "setfacl" ? "acl" : "coreutils")})", transient: false, ex);
        }
        if (outcome.ExitCode != 0)
        {
            // Usually a file that vanished mid-walk: worth another try.
            throw new VolumeDriverException($"{command} failed ({outcome.ExitCode}) on {arguments[^1]}: {outcome.Error.Trim()}", transient: true);
        }
    }
}
