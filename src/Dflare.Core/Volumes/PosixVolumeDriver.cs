using System.Diagnostics;
using System.Text;

namespace Dflare.Core.Volumes;

/// <summary>
/// Volumes as directories of a local (or locally mounted) POSIX filesystem: <c>{root}/{tenant}/{project}/{name}-{id}</c>.
/// <list type="bullet">
/// <item>Access is by POSIX ACLs only (<c>setfacl</c>): the volume directory belongs to root with mode 0770 and no
/// group or other access, and each ACL entry becomes a named user or group entry, also as the default ACL so that new
/// files inherit it. The tenant and project directories above are 0711: they can be traversed but not listed.</item>
/// <item>Quota: this filesystem's project quotas are not used (ext4 needs the <c>prjquota</c> mount option, which the
/// machines here lack), so <see cref="EnforceAsync"/> scans usage instead. Each scan makes every file root's (access
/// stays what the ACL grants) and, when the volume is over its byte or inode quota, sets every ACL mask to read-only:
/// nobody but root can write, create or delete until usage is back under quota (or the quota grows) and a later
/// scan restores the masks. Between scans a volume can overshoot; the scan interval bounds by how much.</item>
/// </list>
/// </summary>
public sealed class PosixVolumeDriver(string root) : IVolumeDriver
{
    private const string StoppedMarker = ".dflare-writes-stopped";

    public string Root { get; } = Path.GetFullPath(root);

    public async Task<string> EnsureAsync(VolumeSpec volume, CancellationToken cancellationToken)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("POSIX volumes need a POSIX filesystem.");
        }
        var path = PathOf(volume);
        foreach (var directory in new[] { Root, Path.Combine(Root, volume.Tenant), Path.Combine(Root, volume.Tenant, volume.Project) })
        {
            Directory.CreateDirectory(directory);
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        }
        Directory.CreateDirectory(path);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var stopped = File.Exists(Path.Combine(path, StoppedMarker));
        await RunAsync("setfacl", ["--set", VolumeAcls.SetfaclText(volume, writable: !stopped), path], cancellationToken);
        await RunAsync("setfacl", ["-d", "--set", VolumeAcls.SetfaclText(volume, writable: true), path], cancellationToken);
        return path;
    }

    public async Task<VolumeUsage> EnforceAsync(VolumeSpec volume, CancellationToken cancellationToken)
    {
        var path = PathOf(volume);
        if (!Directory.Exists(path))
        {
            throw new VolumeDriverException($"volume directory {path} does not exist", transient: false);
        }
        // Files belong to root; users reach them through the ACL's named entries, which the mask can close.
        await RunAsync("chown", ["-R", "--no-dereference", "0:0", path], cancellationToken);
        var (bytes, inodes) = Scan(path);
        var over = bytes > volume.QuotaBytes || inodes > volume.QuotaInodes;
        var marker = Path.Combine(path, StoppedMarker);
        var wasStopped = File.Exists(marker);
        if (over && !wasStopped)
        {
            await File.WriteAllTextAsync(marker, $"over quota: {bytes} bytes of {volume.QuotaBytes}, {inodes} inodes of {volume.QuotaInodes}\n", cancellationToken);
            await RunAsync("setfacl", ["-R", "-m", "m::rx", path], cancellationToken);
        }
        else if (!over && wasStopped)
        {
            await RunAsync("setfacl", ["-R", "-m", "m::rwx", path], cancellationToken);
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
        var keys = Directory.EnumerateDirectories(Root).SelectMany(Directory.EnumerateDirectories).SelectMany(Directory.EnumerateDirectories)
            .Select(d => Path.GetRelativePath(Root, d).Replace(Path.DirectorySeparatorChar, '/'))
            .Order(StringComparer.Ordinal).ToList();
        return Task.FromResult<IReadOnlyList<string>>(keys);
    }

    public string PathOf(VolumeSpec volume) => Path.Combine(Root, volume.Tenant, volume.Project, $"{volume.Name}-{volume.Id:N}");

    /// <summary>Bytes and inodes under a directory, the directory itself included; symbolic links are counted, not followed.</summary>
    private static (long Bytes, long Inodes) Scan(string path)
    {
        long bytes = 0, inodes = 1;
        var pending = new Stack<string>([path]);
        while (pending.Count > 0)
        {
            foreach (var entry in new DirectoryInfo(pending.Pop()).EnumerateFileSystemInfos())
            {
                if (entry.Name == StoppedMarker)
                {
                    continue;
                }
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
        var start = new ProcessStartInfo(command) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new VolumeDriverException($"{command} did not start", transient: true);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new VolumeDriverException($"{command} is not installed (Debian package {(command == "setfacl" ? "acl" : "coreutils")})", transient: false, ex);
        }
        using (process)
        {
            var error = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.StandardOutput.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            if (process.ExitCode != 0)
            {
                throw new VolumeDriverException($"{command} {string.Join(' ', arguments)} failed ({process.ExitCode}): {(await error).Trim()}", transient: false);
            }
        }
    }
}
