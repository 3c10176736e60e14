using Dflare.Core.Network;
using Dflare.Core.Processes;

namespace Dflare.Tests.Core.Network;

/// <summary>
/// What every fabric driver does, run against each: an applied intent leaves no difference, applying again changes
/// nothing, what leaves the intent leaves the fabric, and a segment or ACL changed behind the driver's back is drift
/// until the next apply repairs it.
/// </summary>
public abstract class FabricDriverContract : IAsyncLifetime
{
    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected IFabricDriver Driver { get; private set; } = null!;

    protected static FabricIntent Intent(bool withDb = true, bool openDb = false)
    {
        LeafIntent[] leaves = [new("leaf1", 65101, "10.254.0.1"), new("leaf2", 65102, "10.254.0.2")];
        var vlans = new Dictionary<string, int> { ["leaf1"] = 100, ["leaf2"] = 100 };
        var segments = new List<SegmentIntent>
        {
            new("acme.web", "acme.main", 10000, "10.1.1.0/24", "10.1.1.1", null, null, vlans, [], true),
        };
        if (withDb)
        {
            segments.Add(new("acme.db", "acme.main", 10001, "10.1.2.0/24", "10.1.2.1", null, null, new Dictionary<string, int> { ["leaf1"] = 101, ["leaf2"] = 101 },
                openDb ? [] : [new AclRuleIntent(["10.1.1.0/24"], "tcp", "5432", true), new AclRuleIntent(["10.1.1.0/24"], "icmp", null, true)], openDb));
        }
        return new FabricIntent("contract", leaves, [new VrfIntent("acme.main", 7, 50007, "65000:50007")], segments,
            [new PortIntent("leaf1", "Ethernet4", "n1", "eth0", "acme.web", "10.1.1.2", null),
             new PortIntent("leaf2", "Ethernet8", "n2", "eth0", "acme.web", "10.1.1.3", null)],
            []);
    }

    public async ValueTask InitializeAsync() => Driver = await CreateAsync();

    public async ValueTask DisposeAsync()
    {
        await CleanUpAsync();
        GC.SuppressFinalize(this);
    }

    protected virtual Task CleanUpAsync() => Task.CompletedTask;

    protected abstract Task<IFabricDriver> CreateAsync();

    /// <summary>Deletes a segment on one leaf, as an engineer could by hand.</summary>
    protected abstract Task RemoveSegmentAsync(string leaf, SegmentIntent segment);

    /// <summary>Opens a segment's ACL on one leaf by hand.</summary>
    protected abstract Task OpenAclAsync(string leaf, SegmentIntent segment);

    [Fact]
    public async Task AnAppliedIntent_LeavesNoDifference_AndApplyingAgainChangesNothing()
    {
        var intent = Intent();
        Assert.NotEmpty(await Driver.DiffAsync(intent, Ct));
        await Driver.ApplyAsync(intent, Ct);
        Assert.Empty(await Driver.DiffAsync(intent, Ct));
        await Driver.ApplyAsync(intent, Ct);
        Assert.Empty(await Driver.DiffAsync(intent, Ct));
    }

    [Fact]
    public async Task WhatLeavesTheIntent_LeavesTheFabric()
    {
        await Driver.ApplyAsync(Intent(), Ct);
        var smaller = Intent(withDb: false) with { Ports = [Intent().Ports[0]] };
        await Driver.ApplyAsync(smaller, Ct);
        Assert.Empty(await Driver.DiffAsync(smaller, Ct));
        var missing = await Driver.DiffAsync(Intent(), Ct);
        Assert.Contains(missing, d => d.Element == "segment" && d.Name == "acme.db@leaf1");
        Assert.Contains(missing, d => d.Element == "port" && d.Name.StartsWith("n2.eth0", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ASegmentRemovedByHand_IsDrift_UntilTheNextApply()
    {
        var intent = Intent();
        await Driver.ApplyAsync(intent, Ct);
        await RemoveSegmentAsync("leaf2", intent.Segments[1]);
        var drift = await Driver.DiffAsync(intent, Ct);
        Assert.Contains(drift, d => d.Element == "segment" && d.Name == "acme.db@leaf2");
        await Driver.ApplyAsync(intent, Ct);
        Assert.Empty(await Driver.DiffAsync(intent, Ct));
    }

    [Fact]
    public async Task AnAclChangedByHand_IsDrift_UntilTheNextApply()
    {
        var intent = Intent();
        await Driver.ApplyAsync(intent, Ct);
        await OpenAclAsync("leaf1", intent.Segments[1]);
        Assert.Contains(await Driver.DiffAsync(intent, Ct), d => d.Element == "acl");
        await Driver.ApplyAsync(intent, Ct);
        Assert.Empty(await Driver.DiffAsync(intent, Ct));
        // A change of the intended ACL is a difference too, until applied.
        var opened = Intent(openDb: true);
        Assert.Contains(await Driver.DiffAsync(opened, Ct), d => d.Element == "acl");
        await Driver.ApplyAsync(opened, Ct);
        Assert.Empty(await Driver.DiffAsync(opened, Ct));
    }

    [Fact]
    public async Task Partitions_AreApplied_AndTheirChangesAreDifferences()
    {
        var intent = FabricIntent.Empty("contract-ib", []) with
        {
            Infiniband = true,
            Partitions = [new PartitionIntent("t-acme", 1, [new PartitionMemberIntent("0x0002c90300a1b001", "n1", true)])],
        };
        await Driver.ApplyAsync(intent, Ct);
        Assert.Empty(await Driver.DiffAsync(intent, Ct));
        var grown = intent with { Partitions = [intent.Partitions[0] with { Members = [.. intent.Partitions[0].Members, new PartitionMemberIntent("0x0002c90300a1b002", "n2", false)] }] };
        Assert.Contains(await Driver.DiffAsync(grown, Ct), d => d.Element == "partition");
        await Driver.ApplyAsync(grown, Ct);
        Assert.Empty(await Driver.DiffAsync(grown, Ct));
    }
}

public sealed class SimulatedFabricDriverContractTests : FabricDriverContract
{
    private SimulatedFabricDriver _driver = null!;

    protected override Task<IFabricDriver> CreateAsync() => Task.FromResult<IFabricDriver>(_driver = new SimulatedFabricDriver());

    protected override Task RemoveSegmentAsync(string leaf, SegmentIntent segment)
    {
        _driver.RemoveSegment(leaf, segment.Name);
        return Task.CompletedTask;
    }

    protected override Task OpenAclAsync(string leaf, SegmentIntent segment)
    {
        _driver.ReplaceAcl(leaf, segment.Name, [], defaultAllow: true);
        return Task.CompletedTask;
    }
}

/// <summary>The same contract on real namespaces, bridges, VXLAN, policy routing and nftables (needs root).</summary>
public sealed class LabFabricDriverContractTests : FabricDriverContract
{
    private readonly string _prefix = LabNames.NewPrefix();
    private readonly Infrastructure.TempDirectory _state = new();
    private LabFabricDriver _driver = null!;

    protected override Task<IFabricDriver> CreateAsync()
    {
        Assert.True(Environment.UserName == "root", "the Lab driver makes network namespaces and needs root (CI runs as root)");
        return Task.FromResult<IFabricDriver>(_driver = new LabFabricDriver(_prefix, _state.Path));
    }

    protected override async Task CleanUpAsync()
    {
        await _driver.RemoveAllAsync(CancellationToken.None);
        _state.Dispose();
    }

    protected override async Task RemoveSegmentAsync(string leaf, SegmentIntent segment) =>
        await LabNames.RunAsync(["ip", "-n", _driver.LeafNamespace(leaf), "link", "delete", LabFabricDriver.Bridge(segment.L2Vni)]);

    protected override async Task OpenAclAsync(string leaf, SegmentIntent segment) =>
        await LabNames.RunAsync(["nsenter", $"--net=/run/netns/{_driver.LeafNamespace(leaf)}", "nft", "flush", "chain", "inet", "dflare", "forward"]);
}

/// <summary>Lab namespaces of tests start with <c>dt</c>, so the test command can sweep any a crashed run left.</summary>
public static class LabNames
{
    public static string NewPrefix() => $"dt{Random.Shared.Next(0x1000, 0xFFFF):x4}";

    public static async Task<ProcessOutcome> RunAsync(IReadOnlyList<string> command, bool check = true)
    {
        var outcome = await ChildProcess.RunAsync(command[0], command.Skip(1).ToList(), null, TestContext.Current.CancellationToken);
        Assert.True(!check || outcome.ExitCode == 0, $"{string.Join(' ', command)}: {outcome.Error}");
        return outcome;
    }
}
