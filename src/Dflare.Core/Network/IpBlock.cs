using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;

namespace Dflare.Core.Network;

/// <summary>An IPv4 or IPv6 prefix in canonical form (host bits zero), with the arithmetic IPAM and pools need. Addresses
/// are numbers (<see cref="UInt128"/> holds both families), so blocks and offsets are plain additions.</summary>
public sealed record IpBlock(AddressFamily Family, UInt128 Network, int Length)
{
    public int Bits => Family == AddressFamily.InterNetwork ? 32 : 128;

    /// <summary>How many addresses the block spans (saturating at <see cref="UInt128.MaxValue"/> for a /0 of IPv6).</summary>
    public UInt128 Size => Bits - Length >= 128 ? UInt128.MaxValue : UInt128.One << (Bits - Length);

    public UInt128 Last => Network + (Size - 1);

    public static bool TryParse(string? text, [NotNullWhen(true)] out IpBlock? block)
    {
        block = null;
        var slash = text?.IndexOf('/', StringComparison.Ordinal) ?? -1;
        if (slash <= 0 || !IPAddress.TryParse(text.AsSpan(0, slash), out var address)
            || !int.TryParse(text.AsSpan(slash + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var length)
            || address.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
            || (address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0))
        {
            return false;
        }
        var bits = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        if (length > bits)
        {
            return false;
        }
        var value = ToNumber(address);
        var hostMask = length == 0 ? (bits == 128 ? UInt128.MaxValue : (UInt128.One << 32) - 1) : (UInt128.One << (bits - length)) - 1;
        // A prefix with host bits set is almost always a typo (10.0.1.5/24): refuse it rather than guess.
        if ((value & hostMask) != 0)
        {
            return false;
        }
        block = new IpBlock(address.AddressFamily, value, length);
        return true;
    }

    public static IpBlock Parse(string text) => TryParse(text, out var block) ? block : throw new FormatException($"'{text}' is not a CIDR prefix.");

    public bool Contains(UInt128 address) => address >= Network && address <= Last;

    public bool Contains(IpBlock other) => other.Family == Family && other.Length >= Length && Contains(other.Network);

    public bool Overlaps(IpBlock other) => other.Family == Family && Network <= other.Last && other.Network <= Last;

    /// <summary>The <paramref name="index"/>-th block of length <paramref name="length"/> inside this one.</summary>
    public IpBlock Child(int length, UInt128 index) => new(Family, Network + (index << (Bits - length)), length);

    /// <summary>How many blocks of length <paramref name="length"/> fit (capped, so pools stay countable).</summary>
    public long ChildCount(int length) => length - Length >= 62 ? long.MaxValue : 1L << (length - Length);

    public IPAddress AddressAt(UInt128 offset) => FromNumber(Family, Network + offset);

    public override string ToString() => $"{FromNumber(Family, Network)}/{Length}";

    public static UInt128 ToNumber(IPAddress address)
    {
        var bytes = address.GetAddressBytes();
        UInt128 value = 0;
        foreach (var b in bytes)
        {
            value = (value << 8) | b;
        }
        return value;
    }

    public static IPAddress FromNumber(AddressFamily family, UInt128 value)
    {
        var bytes = new byte[family == AddressFamily.InterNetwork ? 4 : 16];
        for (var i = bytes.Length - 1; i >= 0; i--)
        {
            bytes[i] = (byte)(value & 0xFF);
            value >>= 8;
        }
        return new IPAddress(bytes);
    }
}
