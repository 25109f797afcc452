using System.Buffers;
using System.Buffers.Binary;
using System.Net;

namespace Proxy.ProxyProtocol;

/// <summary>Parser of the PROXY protocol v2 binary header (proxy-protocol.txt §2.2).</summary>
internal static class ProxyProtocolV2Parser
{
    // §2.2: 12-byte signature, ver_cmd, fam, 16-bit big-endian length of what follows.
    private const int FixedLength = 16;
    private const int VersionCommandOffset = 12;
    private const int FamilyOffset = 13;
    private const int LengthOffset = 14;
    private const int CommandLocal = 0x0;
    private const int CommandProxy = 0x1;
    private const int Inet4AddressLength = 12;
    private const int Inet6AddressLength = 36;
    private const int UnixAddressLength = 216;

    /// <summary>Parses a header already known to start with the 12-byte v2 signature.</summary>
    public static ProxyHeaderParseStatus TryParse(in ReadOnlySequence<byte> buffer, int maxBytes, out ProxyHeader header)
    {
        header = default;
        if (maxBytes < FixedLength)
        {
            return ProxyHeaderParseStatus.TooLarge;
        }

        Span<byte> fixedPart = stackalloc byte[FixedLength];
        int seen = (int)Math.Min(buffer.Length, FixedLength);
        buffer.Slice(0, seen).CopyTo(fixedPart);

        // §2.2: the high nibble is the version and must be 2; commands other than LOCAL and PROXY must be dropped.
        int command = fixedPart[VersionCommandOffset] & 0x0F;
        if (seen > VersionCommandOffset && ((fixedPart[VersionCommandOffset] >> 4) != 2 || command > CommandProxy))
        {
            return ProxyHeaderParseStatus.Invalid;
        }

        // §2.2: with LOCAL the receiver discards the protocol block, family included, so only PROXY is checked.
        int family = fixedPart[FamilyOffset];
        int addressLength = command == CommandLocal ? 0 : AddressLength(family);
        if (seen > FamilyOffset && addressLength < 0)
        {
            return ProxyHeaderParseStatus.Invalid;
        }

        if (seen < FixedLength)
        {
            return ProxyHeaderParseStatus.Incomplete;
        }

        int declared = BinaryPrimitives.ReadUInt16BigEndian(fixedPart[LengthOffset..]);
        if (declared < addressLength)
        {
            return ProxyHeaderParseStatus.Invalid;
        }

        // Decided from the length field alone so a huge declared header fails before its bytes arrive.
        int total = FixedLength + declared;
        if (total > maxBytes)
        {
            return ProxyHeaderParseStatus.TooLarge;
        }

        if (buffer.Length < total)
        {
            return ProxyHeaderParseStatus.Incomplete;
        }

        // TLVs (§2.2.x) fill the rest of the declared length and are skipped by consuming all of it.
        if (addressLength != Inet4AddressLength && addressLength != Inet6AddressLength)
        {
            // LOCAL, UNSPEC and UNIX sockets: §2.2 says to use the real connection endpoints.
            header = new ProxyHeader(2, true, null, null, total);
            return ProxyHeaderParseStatus.Complete;
        }

        Span<byte> block = stackalloc byte[Inet6AddressLength];
        block = block[..addressLength];
        buffer.Slice(FixedLength, addressLength).CopyTo(block);
        int size = (addressLength - 4) / 2;
        var source = new IPAddress(block[..size]);
        var destination = new IPAddress(block.Slice(size, size));
        int sourcePort = BinaryPrimitives.ReadUInt16BigEndian(block[(2 * size)..]);
        int destinationPort = BinaryPrimitives.ReadUInt16BigEndian(block[((2 * size) + 2)..]);
        header = new ProxyHeader(2, false, new IPEndPoint(source, sourcePort), new IPEndPoint(destination, destinationPort), total);
        return ProxyHeaderParseStatus.Complete;
    }

    // §2.2 address families with STREAM (x1) or DGRAM (x2) transport; UNSPEC has no address block.
    // Every other value "must be rejected as invalid by receivers".
    private static int AddressLength(int family) => family switch
    {
        0x00 => 0,
        0x11 or 0x12 => Inet4AddressLength,
        0x21 or 0x22 => Inet6AddressLength,
        0x31 or 0x32 => UnixAddressLength,
        _ => -1,
    };
}
