using System.Diagnostics;
using Dflare.Core.Volumes;
using Dflare.Tests.Infrastructure;

namespace Dflare.Tests.Core.Volumes;

/// <summary>
/// The real filesystem decides: processes running under a tenant's uid (through <c>setpriv</c>, so the test runs as
/// root) write in their volume, and processes of another tenant are refused by the ACLs, not by Dflare.
/// </summary>
public sealed class PosixVolumeAccessTests : IDisposable
{
    private const int AcmeUser = 61001;
    private const int AcmeGroup = 62001;
    private const int ReaderGroup = 62003;
    private const int GlobexUser = 61002;
    private const int GlobexGroup = 62002;
    private readonly TempDirectory _directory = new();
    private readonly PosixVolumeDriver _driver;

    public PosixVolumeAccessTests()
    {
        // Every directory above the volumes must be traversable by the tenants' users.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(_directory.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        }
        _driver = new PosixVolumeDriver(Path.Combine(_directory.Path, "volumes"));
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ATenantsUser_Writes_AnotherTenantsUser_IsRefusedByTheFilesystem()
    {
        Assert.True(Environment.UserName == "root", "this test runs processes under other uids and needs root (CI runs as root)");
        var volume = new VolumeSpec("acme", "research", "data", Guid.NewGuid(), 1 << 20, 1000,
            [new VolumeAclEntry(AclPrincipal.User, AcmeUser, VolumeAccess.ReadWrite), new VolumeAclEntry(AclPrincipal.Group, ReaderGroup, VolumeAccess.Read)]);
        var path = await _driver.EnsureAsync(volume, Ct);

        var write = await AsAsync(AcmeUser, AcmeGroup, $"echo results > {path}/a.txt && mkdir {path}/runs && echo more > {path}/runs/b.txt");
        Assert.True(write.Code == 0, write.Error);

        var intruder = await AsAsync(GlobexUser, GlobexGroup, $"echo hijack > {path}/x.txt");
        Assert.NotEqual(0, intruder.Code);
        Assert.Contains("Permission denied", intruder.Error, StringComparison.Ordinal);
        var peek = await AsAsync(GlobexUser, GlobexGroup, $"cat {path}/a.txt; ls {path}");
        Assert.NotEqual(0, peek.Code);
        var listing = await AsAsync(GlobexUser, GlobexGroup, $"ls {_driver.Root}/acme");
        Assert.NotEqual(0, listing.Code); // tenant directories can be traversed, not listed

        var reader = await AsAsync(GlobexUser, ReaderGroup, $"cat {path}/runs/b.txt");
        Assert.True(reader.Code == 0, reader.Error);
        Assert.Equal("more", reader.Output.Trim());
        Assert.NotEqual(0, (await AsAsync(GlobexUser, ReaderGroup, $"echo x > {path}/runs/c.txt")).Code);
    }

    [Fact]
    public async Task OverQuota_TheTenantCanNoLongerWrite_EvenToItsOwnFiles_UntilTheQuotaGrows()
    {
        Assert.True(Environment.UserName == "root", "this test runs processes under other uids and needs root (CI runs as root)");
        var volume = new VolumeSpec("acme", "research", "small", Guid.NewGuid(), 64 * 1024, 1000,
            [new VolumeAclEntry(AclPrincipal.User, AcmeUser, VolumeAccess.ReadWrite)]);
        var path = await _driver.EnsureAsync(volume, Ct);
        Assert.Equal(0, (await AsAsync(AcmeUser, AcmeGroup, $"head -c 131072 /dev/zero > {path}/big.bin")).Code);

        var usage = await _driver.EnforceAsync(volume, Ct);
        Assert.True(usage.WritesStopped);
        Assert.NotEqual(0, (await AsAsync(AcmeUser, AcmeGroup, $"echo more >> {path}/big.bin")).Code);
        Assert.NotEqual(0, (await AsAsync(AcmeUser, AcmeGroup, $"echo new > {path}/new.txt")).Code);
        Assert.NotEqual(0, (await AsAsync(AcmeUser, AcmeGroup, $"chmod u+w {path}/big.bin")).Code); // the file is root's now
        Assert.Equal(0, (await AsAsync(AcmeUser, AcmeGroup, $"head -c 10 {path}/big.bin > /dev/null")).Code); // reads go on

        var grown = volume with { QuotaBytes = 1 << 20 };
        Assert.False((await _driver.EnforceAsync(grown, Ct)).WritesStopped);
        var write = await AsAsync(AcmeUser, AcmeGroup, $"echo more >> {path}/big.bin && echo new > {path}/new.txt");
        Assert.True(write.Code == 0, write.Error);
    }

    [Fact]
    public async Task AChangedAcl_ReachesWhatIsAlreadyThere()
    {
        Assert.True(Environment.UserName == "root", "this test runs processes under other uids and needs root (CI runs as root)");
        var volume = new VolumeSpec("acme", "research", "shared", Guid.NewGuid(), 1 << 20, 1000,
            [new VolumeAclEntry(AclPrincipal.User, AcmeUser, VolumeAccess.ReadWrite), new VolumeAclEntry(AclPrincipal.User, GlobexUser, VolumeAccess.ReadWrite)]);
        var path = await _driver.EnsureAsync(volume, Ct);
        Assert.Equal(0, (await AsAsync(AcmeUser, AcmeGroup, $"mkdir {path}/runs && echo one > {path}/runs/a.txt")).Code);
        Assert.Equal(0, (await AsAsync(GlobexUser, GlobexGroup, $"echo two >> {path}/runs/a.txt")).Code);

        // The second user is narrowed to reading: on the files and directories that exist, not only on new ones.
        await _driver.EnsureAsync(volume with { Acl = [volume.Acl[0], new VolumeAclEntry(AclPrincipal.User, GlobexUser, VolumeAccess.Read)] }, Ct);
        Assert.NotEqual(0, (await AsAsync(GlobexUser, GlobexGroup, $"echo three >> {path}/runs/a.txt")).Code);
        Assert.NotEqual(0, (await AsAsync(GlobexUser, GlobexGroup, $"echo new > {path}/runs/b.txt")).Code);
        var read = await AsAsync(GlobexUser, GlobexGroup, $"cat {path}/runs/a.txt");
        Assert.Equal("one\ntwo", read.Output.Trim());
        Assert.Equal(0, (await AsAsync(AcmeUser, AcmeGroup, $"echo four >> {path}/runs/a.txt")).Code);
        Assert.NotEqual(0, (await AsAsync(AcmeUser, AcmeGroup, $"test -x {path}/runs/a.txt")).Code); // files do not become executable
    }

    public void Dispose() => _directory.Dispose();

    private static async Task<(int Code, string Output, string Error)> AsAsync(int uid, int gid, string script)
    {
        var start = new ProcessStartInfo("setpriv") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { $"--reuid={uid}", $"--regid={gid}", "--clear-groups", "--", "sh", "-c", script })
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(Ct);
        var error = process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);
        return (process.ExitCode, await output, await error);
    }
}
