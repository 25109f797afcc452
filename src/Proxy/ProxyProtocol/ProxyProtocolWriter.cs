using System.Buffers.Binary;
using System.Buffers.Text;
using System.Net;
using System.Net.Sockets;

namespace Proxy.ProxyProtocol;

/// <summary>Allocation-free writer of PROXY protocol v1 and v2 headers for upstream connections.</summary>
internal static class ProxyProtocolWriter
{
    /// <summary>Longest v1 line, CRLF included (proxy-protocol.txt §2.1).</summary>
    public const int MaxV1Length = 107;

    /// <summary>Longest v2 header this writer produces: 16 fixed bytes plus the AF_INET6 block (§2.2).</summary>
    public const int V2AddressHeaderLength = 16 + 36;

    private const int IPv4Length = 4;
    private const int IPv6Length = 16;

    /// <summary>
    /// Writes "PROXY TCP4|TCP6 src dst sport dport\r\n" and returns its length. Throws
    /// <see cref="ArgumentException"/> when <paramref name="buffer"/> is shorter than the line;
    /// <see cref="MaxV1Length"/> bytes always suffice.
    /// </summary>
    public static int WriteV1(Span<byte> buffer, IPEndPoint source, IPEndPoint destination)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        Span<byte> sourceBytes = stackalloc byte[IPv6Length];
        Span<byte> destinationBytes = stackalloc byte[IPv6Length];
        bool isV4 = Normalize(source.Address, destination.Address, sourceBytes, destinationBytes);

        int written = 0;
        Append(buffer, ref written, isV4 ? "PROXY TCP4 "u8 : "PROXY TCP6 "u8);
        AppendAddress(buffer, ref written, source.Address, sourceBytes, isV4);
        Append(buffer, ref written, " "u8);
        AppendAddress(buffer, ref written, destination.Address, destinationBytes, isV4);
        Append(buffer, ref written, " "u8);
        AppendNumber(buffer, ref written, source.Port);
        Append(buffer, ref written, " "u8);
        AppendNumber(buffer, ref written, destination.Port);
        Append(buffer, ref written, "\r\n"u8);
        return written;
    }

    /// <summary>
    /// Writes a v2 PROXY command header for a TCP connection and returns its length (28 or 52). Throws
    /// <see cref="ArgumentException"/> when <paramref name="buffer"/> is too short;
    /// <see cref="V2AddressHeaderLength"/> bytes always suffice.
    /// </summary>
    public static int WriteV2(Span<byte> buffer, IPEndPoint source, IPEndPoint destination)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        Span<byte> sourceBytes = stackalloc byte[IPv6Length];
        Span<byte> destinationBytes = stackalloc byte[IPv6Length];
        bool isV4 = Normalize(source.Address, destination.Address, sourceBytes, destinationBytes);
        int size = isV4 ? IPv4Length : IPv6Length;
        int total = 16 + (2 * size) + 4;
        if (buffer.Length < total)
        {
            throw new ArgumentException("The buffer is too small for the PROXY v2 header.", nameof(buffer));
        }

        // §2.2: signature, version 2 + PROXY command, TCP over AF_INET (0x11) or AF_INET6 (0x21), length.
        ProxyProtocolReader.V2Signature.CopyTo(buffer);
        buffer[12] = 0x21;
        buffer[13] = isV4 ? (byte)0x11 : (byte)0x21;
        BinaryPrimitives.WriteUInt16BigEndian(buffer[14..], (ushort)(total - 16));
        sourceBytes[..size].CopyTo(buffer[16..]);
        destinationBytes[..size].CopyTo(buffer[(16 + size)..]);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[(16 + (2 * size))..], (ushort)source.Port);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[(18 + (2 * size))..], (ushort)destination.Port);
        return total;
    }

    // Fills both spans with the addresses as they will be sent and returns true for IPv4. IPv4-mapped IPv6
    // (a dual-stack socket's view of an IPv4 peer) counts as IPv4; a real family mix is sent as IPv6, with the
    // IPv4 side mapped to ::ffff:a.b.c.d (RFC 4291 §2.5.5.2), since one header carries one family.
    private static bool Normalize(IPAddress source, IPAddress destination, Span<byte> sourceBytes, Span<byte> destinationBytes)
    {
        bool sourceIsV4 = ToBytes(source, sourceBytes);
        bool destinationIsV4 = ToBytes(destination, destinationBytes);
        if (sourceIsV4 == destinationIsV4)
        {
            return sourceIsV4;
        }

        MapToIPv6(sourceIsV4 ? sourceBytes : destinationBytes);
        return false;
    }

    // Writes 4 bytes for IPv4 (including unmapped ::ffff:a.b.c.d) or 16 for IPv6, without allocating.
    private static bool ToBytes(IPAddress address, Span<byte> bytes)
    {
        address.TryWriteBytes(bytes, out _);
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return true;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            bytes.Slice(12, IPv4Length).CopyTo(bytes);
            return true;
        }

        return false;
    }

    private static void MapToIPv6(Span<byte> bytes)
    {
        bytes[..IPv4Length].CopyTo(bytes[12..]);
        bytes[..10].Clear();
        bytes[10] = 0xFF;
        bytes[11] = 0xFF;
    }

    private static void AppendAddress(Span<byte> buffer, ref int written, IPAddress original, ReadOnlySpan<byte> bytes, bool isV4)
    {
        if (isV4)
        {
            AppendDotted(buffer, ref written, bytes);
        }
        else if (bytes[..12].SequenceEqual((ReadOnlySpan<byte>)[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]))
        {
            // Written by hand rather than through IPAddress so no mapped address object is allocated.
            Append(buffer, ref written, "::ffff:"u8);
            AppendDotted(buffer, ref written, bytes[12..]);
        }
        else
        {
            if (!original.TryFormat(buffer[written..], out int length))
            {
                throw new ArgumentException("The buffer is too small for the PROXY v1 line.", nameof(buffer));
            }

            // A scope id ("%eth0") is local to this host and not part of the v1 grammar, so it is cut off.
            int percent = buffer.Slice(written, length).IndexOf((byte)'%');
            written += percent < 0 ? length : percent;
        }
    }

    private static void AppendDotted(Span<byte> buffer, ref int written, ReadOnlySpan<byte> octets)
    {
        for (int i = 0; i < IPv4Length; i++)
        {
            if (i > 0)
            {
                Append(buffer, ref written, "."u8);
            }

            AppendNumber(buffer, ref written, octets[i]);
        }
    }

    private static void AppendNumber(Span<byte> buffer, ref int written, int value)
    {
        if (!Utf8Formatter.TryFormat(value, buffer[written..], out int length))
        {
            throw new ArgumentException("The buffer is too small for the PROXY v1 line.", nameof(buffer));
        }

        written += length;
    }

    private static void Append(Span<byte> buffer, ref int written, ReadOnlySpan<byte> text)
    {
        if (!text.TryCopyTo(buffer[written..]))
        {
            throw new ArgumentException("The buffer is too small for the PROXY v1 line.", nameof(buffer));
        }

        written += text.Length;
    }
}
