using System.Net;
using System.Net.Sockets;

namespace Dflare.Core.Network;

/// <summary>
/// IPAM inside one subnet: the gateway is the first host address and never handed out, nor is the network address,
/// nor (IPv4) the broadcast address. Node addresses are the lowest free ones, so a released address is reused first
/// and allocation is deterministic for equal inputs.
/// </summary>
public static class SubnetAddressing
{
    /// <summary>The smallest subnets we accept: an IPv4 /30 has one node address after the gateway; IPv6 is /64
    /// (SLAAC and most NIC offloads assume it).</summary>
    public const int MaxIpv4Length = 30;
    public const int Ipv6Length = 64;

    public static IPAddress Gateway(IpBlock subnet) => subnet.AddressAt(1);

    public static bool IsReserved(IpBlock subnet, UInt128 address) =>
        address == subnet.Network || address == subnet.Network + 1 || (subnet.Family == AddressFamily.InterNetwork && address == subnet.Last);

    /// <summary>How many node addresses the subnet holds (IPv6: capped, it never runs out in practice).</summary>
    public static long Capacity(IpBlock subnet) => subnet.Family == AddressFamily.InterNetwork
        ? (long)(subnet.Size - 3)
        : long.MaxValue;

    /// <summary>The lowest address that is neither reserved nor in <paramref name="used"/>; null when the subnet is full.</summary>
    public static IPAddress? NextFree(IpBlock subnet, IReadOnlySet<UInt128> used)
    {
        // Every used address is inside the subnet, so at most used.Count + 1 candidates are looked at.
        for (var offset = (UInt128)2; offset < subnet.Size; offset++)
        {
            var candidate = subnet.Network + offset;
            if (IsReserved(subnet, candidate))
            {
                continue;
            }
            if (!used.Contains(candidate))
            {
                return IpBlock.FromNumber(subnet.Family, candidate);
            }
        }
        return null;
    }
}
