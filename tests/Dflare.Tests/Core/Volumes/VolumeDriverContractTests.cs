using Dflare.Core.Volumes;
using Dflare.Tests.Infrastructure;

namespace Dflare.Tests.Core.Volumes;

/// <summary>What every volume driver does the same way; each driver runs the same tests.</summary>
public abstract class VolumeDriverContractTests
{
    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected abstract IVolumeDriver Driver { get; }

    /// <summary>Makes the volume hold this many bytes in this many files, as a workload would.</summary>
    protected abstract Task FillAsync(VolumeSpec volume, long bytes, int files);

    protected static VolumeSpec Volume(string name = "data", long quotaBytes = 1 << 20, long quotaInodes = 1000) =>
        new("acme", "research", name, Guid.NewGuid(), quotaBytes, quotaInodes, [new VolumeAclEntry(AclPrincipal.User, 61001, VolumeAccess.ReadWrite)]);

    [Fact]
    public async Task Ensure_IsIdempotent_AndTheVolumeIsListedByItsKey()
    {
        var volume = Volume();
        var first = await Driver.EnsureAsync(volume, Ct);
        var second = await Driver.EnsureAsync(volume, Ct);

        Assert.Equal(first, second);
        Assert.Equal([volume.Key], await Driver.ListAsync(Ct));
    }

    [Fact]
    public async Task RepeatedCreatesAndDeletes_LeaveNoOrphans()
    {
        for (var round = 0; round < 3; round++)
        {
            var volumes = Enumerable.Range(0, 3).Select(i => Volume($"v{i}")).ToList();
            foreach (var volume in volumes)
            {
                await Driver.EnsureAsync(volume, Ct);
                await Driver.EnsureAsync(volume, Ct); // a retried step
            }
            await FillAsync(volumes[0], 10_000, 3);
            foreach (var volume in volumes)
            {
                await Driver.DeleteAsync(volume, Ct);
                await Driver.DeleteAsync(volume, Ct); // a retried step
            }
            Assert.Empty(await Driver.ListAsync(Ct));
        }
    }

    [Fact]
    public async Task OverQuota_StopsWrites_AndBackUnderQuota_ResumesThem()
    {
        var volume = Volume(quotaBytes: 64 * 1024, quotaInodes: 100);
        await Driver.EnsureAsync(volume, Ct);
        await FillAsync(volume, 16 * 1024, 1);
        var under = await Driver.EnforceAsync(volume, Ct);
        Assert.False(under.OverQuota);
        Assert.False(under.WritesStopped);
        Assert.InRange(under.Bytes, 16 * 1024, 17 * 1024);

        await FillAsync(volume, 128 * 1024, 2);
        var over = await Driver.EnforceAsync(volume, Ct);
        Assert.True(over.OverQuota);
        Assert.True(over.WritesStopped);

        var grown = volume with { QuotaBytes = 1 << 20 };
        var resumed = await Driver.EnforceAsync(grown, Ct);
        Assert.False(resumed.OverQuota);
        Assert.False(resumed.WritesStopped);
    }

    [Fact]
    public async Task TooManyFiles_IsOverQuotaToo()
    {
        var volume = Volume(quotaInodes: 5);
        await Driver.EnsureAsync(volume, Ct);
        await FillAsync(volume, 10, 10);
        Assert.True((await Driver.EnforceAsync(volume, Ct)).OverQuota);
    }

    [Fact]
    public async Task EnforcingAMissingVolume_FailsPermanently()
    {
        var error = await Assert.ThrowsAsync<VolumeDriverException>(() => Driver.EnforceAsync(Volume(), Ct));
        Assert.False(error.Transient);
    }
}

public sealed class SimulatedVolumeDriverTests : VolumeDriverContractTests
{
    private readonly SimulatedVolumeDriver _driver = new();
    private readonly Dictionary<string, (long Bytes, long Files)> _usage = [];

    protected override IVolumeDriver Driver => _driver;

    protected override Task FillAsync(VolumeSpec volume, long bytes, int files)
    {
        var (b, f) = _usage.GetValueOrDefault(volume.Key);
        _usage[volume.Key] = (b + bytes, f + files);
        _driver.SetUsage(volume, b + bytes, f + files + 1);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task AStrayVolume_IsListed()
    {
        _driver.AddStray("acme/research/lost-0000");
        Assert.Contains("acme/research/lost-0000", await _driver.ListAsync(Ct));
    }
}

public sealed class PosixVolumeDriverTests : VolumeDriverContractTests, IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly PosixVolumeDriver _driver;

    public PosixVolumeDriverTests()
    {
        _driver = new PosixVolumeDriver(Path.Combine(_directory.Path, "volumes"));
    }

    protected override IVolumeDriver Driver => _driver;

    protected override async Task FillAsync(VolumeSpec volume, long bytes, int files)
    {
        var path = _driver.PathOf(volume);
        for (var i = 0; i < files; i++)
        {
            await File.WriteAllBytesAsync(Path.Combine(path, $"fill-{Guid.NewGuid():N}"), new byte[bytes / files], Ct);
        }
    }

    public void Dispose() => _directory.Dispose();
}
