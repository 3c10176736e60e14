using System.Net.Sockets;
using CsCheck;
using Dflare.Core.Network;

namespace Dflare.Tests.Core.Network;

/// <summary>IPAM and prefix arithmetic, checked on random subnets and random sets of used addresses.</summary>
public sealed class IpamPropertyTests
{
    private static readonly Gen<IpBlock> Ipv4Subnets =
        Gen.Select(Gen.UInt, Gen.Int[22, SubnetAddressing.MaxIpv4Length]).Select((address, length) =>
            new IpBlock(AddressFamily.InterNetwork, (UInt128)(address & ~((1u << (32 - length)) - 1)), length));

    [Fact]
    public void TheNextFreeAddress_IsNeverReservedNorUsed_AndIsTheLowestSuch()
    {
        Gen.Select(Ipv4Subnets, Gen.Int[0, 300].Array[0, 60]).Sample((subnet, offsets) =>
        {
            var used = offsets.Select(o => subnet.Network + (UInt128)(o % (int)subnet.Size)).Where(a => !SubnetAddressing.IsReserved(subnet, a)).ToHashSet();
            var next = SubnetAddressing.NextFree(subnet, used);
            var free = Enumerable.Range(0, (int)subnet.Size).Select(o => subnet.Network + (UInt128)o)
                .Where(a => !SubnetAddressing.IsReserved(subnet, a) && !used.Contains(a)).ToList();
            if (free.Count == 0)
            {
                Assert.Null(next);
                return;
            }
            Assert.NotNull(next);
            var value = IpBlock.ToNumber(next);
            Assert.True(subnet.Contains(value));
            Assert.False(SubnetAddressing.IsReserved(subnet, value));
            Assert.DoesNotContain(value, used);
            Assert.Equal(free.Min(), value);
        });
    }

    [Fact]
    public void FillingASubnet_HandsOutEachAddressOnce_ThenSaysItIsFull()
    {
        Ipv4Subnets.Where(s => s.Length >= 24).Sample(subnet =>
        {
            var used = new HashSet<UInt128>();
            while (SubnetAddressing.NextFree(subnet, used) is { } next)
            {
                Assert.True(used.Add(IpBlock.ToNumber(next)), $"{next} was handed out twice");
            }
            Assert.Equal(SubnetAddressing.Capacity(subnet), used.Count);
            Assert.DoesNotContain(subnet.Network, used);
            Assert.DoesNotContain(subnet.Network + 1, used); // the gateway
            Assert.DoesNotContain(subnet.Last, used); // broadcast
        });
    }

    [Fact]
    public void Ipv6Subnets_ReserveTheRouterAnycastAndGateway_ButNoBroadcast()
    {
        var subnet = IpBlock.Parse("fd00:1:2:3::/64");
        Assert.Equal("fd00:1:2:3::1", SubnetAddressing.Gateway(subnet).ToString());
        Assert.Equal("fd00:1:2:3::2", SubnetAddressing.NextFree(subnet, new HashSet<UInt128>())!.ToString());
        Assert.False(SubnetAddressing.IsReserved(subnet, subnet.Last));
    }

    [Fact]
    public void ChildBlocks_AreInsideTheirParent_AndNeverOverlapEachOther()
    {
        Gen.Select(Gen.Int[8, 24], Gen.Int[0, 6], Gen.UInt).Sample((length, extra, seed) =>
        {
            var parent = new IpBlock(AddressFamily.InterNetwork, (UInt128)(seed & ~((1u << (32 - length)) - 1)), length);
            var childLength = Math.Min(30, length + extra);
            var count = Math.Min(parent.ChildCount(childLength), 64);
            var children = Enumerable.Range(0, (int)count).Select(i => parent.Child(childLength, (UInt128)i)).ToList();
            Assert.All(children, c => Assert.True(parent.Contains(c)));
            for (var i = 0; i < children.Count; i++)
            {
                for (var j = i + 1; j < children.Count; j++)
                {
                    Assert.False(children[i].Overlaps(children[j]), $"{children[i]} overlaps {children[j]}");
                }
            }
            Assert.True(IpBlock.TryParse(children[^1].ToString(), out var reparsed));
            Assert.Equal(children[^1], reparsed);
        });
    }

    [Theory]
    [InlineData("10.0.0.1/24")]
    [InlineData("10.0.0.0/33")]
    [InlineData("10.0.0.0")]
    [InlineData("fd00::1/64")]
    [InlineData("not-a-prefix/8")]
    [InlineData("/8")]
    public void APrefixWithHostBitsOrNoLength_IsRefused(string text) => Assert.False(IpBlock.TryParse(text, out _));

    [Fact]
    public void TheFirstFreeBlockOfAVpc_SkipsWhatIsTaken()
    {
        var vpc = IpBlock.Parse("192.168.0.0/22");
        var taken = new List<IpBlock> { IpBlock.Parse("192.168.0.0/24"), IpBlock.Parse("192.168.1.128/25") };
        Assert.Equal("192.168.2.0/24", SubnetKind.FirstFree(vpc, 24, taken)!.ToString());
        Assert.Equal("192.168.1.0/25", SubnetKind.FirstFree(vpc, 25, taken)!.ToString());
        Assert.Null(SubnetKind.FirstFree(IpBlock.Parse("192.168.0.0/24"), 24, taken));
    }
}
