using System.Buffers;
using System.Net;
using System.Net.Sockets;

namespace Proxy.ProxyProtocol;

/// <summary>Strict parser of the PROXY protocol v1 text line (proxy-protocol.txt §2.1).</summary>
internal static class ProxyProtocolV1Parser
{
    // §2.1: "a receiver ... can be sure that the line will never be more than 107 characters", CRLF included.
    private const int MaxLineLength = ProxyProtocolWriter.MaxV1Length;
    private const int MaxPortDigits = 5;
    private const int MaxIPv6TextLength = 45;

    private static readonly SearchValues<byte> IPv6TextBytes = SearchValues.Create("0123456789abcdefABCDEF:."u8);

    /// <summary>Parses a line already known to start with "PROXY ".</summary>
    public static ProxyHeaderParseStatus TryParse(in ReadOnlySequence<byte> buffer, int maxBytes, out ProxyHeader header)
    {
        header = default;
        Span<byte> storage = stackalloc byte[MaxLineLength];
        int seen = (int)Math.Min(buffer.Length, MaxLineLength);
        buffer.Slice(0, seen).CopyTo(storage);
        var line = storage[..seen];

        int end = line.IndexOfAny((byte)'\r', (byte)'\n');
        if (end < 0)
        {
            // No CR yet, so the line is at least two bytes longer than what was seen.
            return seen + 2 > MaxLineLength ? ProxyHeaderParseStatus.Invalid
                : seen + 2 > maxBytes ? ProxyHeaderParseStatus.TooLarge
                : ProxyHeaderParseStatus.Incomplete;
        }

        int length = end + 2;
        if (line[end] != (byte)'\r' || length > MaxLineLength)
        {
            return ProxyHeaderParseStatus.Invalid;
        }

        if (length > maxBytes)
        {
            return ProxyHeaderParseStatus.TooLarge;
        }

        if (end + 1 >= seen)
        {
            return ProxyHeaderParseStatus.Incomplete;
        }

        if (line[end + 1] != (byte)'\n')
        {
            return ProxyHeaderParseStatus.Invalid;
        }

        return ParseLine(line[ProxyProtocolReader.V1Prefix.Length..end], length, out header);
    }

    private static ProxyHeaderParseStatus ParseLine(ReadOnlySpan<byte> rest, int length, out ProxyHeader header)
    {
        header = default;

        // §2.1: with UNKNOWN the receiver must ignore everything up to the CRLF and use the real addresses.
        if (rest.StartsWith("UNKNOWN"u8) && (rest.Length == 7 || rest[7] == (byte)' '))
        {
            header = new ProxyHeader(1, true, null, null, length);
            return ProxyHeaderParseStatus.Complete;
        }

        bool isV6;
        if (rest.StartsWith("TCP4 "u8))
        {
            isV6 = false;
        }
        else if (rest.StartsWith("TCP6 "u8))
        {
            isV6 = true;
        }
        else
        {
            return ProxyHeaderParseStatus.Invalid;
        }

        // §2.1: exactly one space between the four fields, none before the CRLF.
        rest = rest[5..];
        if (!TryTakeField(ref rest, out var sourceText) || !TryTakeField(ref rest, out var destinationText)
            || !TryTakeField(ref rest, out var sourcePortText) || rest.Contains((byte)' ')
            || !TryParseAddress(sourceText, isV6, out var source) || !TryParseAddress(destinationText, isV6, out var destination)
            || !TryParsePort(sourcePortText, out int sourcePort) || !TryParsePort(rest, out int destinationPort))
        {
            return ProxyHeaderParseStatus.Invalid;
        }

        header = new ProxyHeader(1, false, new IPEndPoint(source, sourcePort), new IPEndPoint(destination, destinationPort), length);
        return ProxyHeaderParseStatus.Complete;
    }

    private static bool TryTakeField(scoped ref ReadOnlySpan<byte> rest, out ReadOnlySpan<byte> field)
    {
        int space = rest.IndexOf((byte)' ');
        field = space > 0 ? rest[..space] : default;
        rest = space > 0 ? rest[(space + 1)..] : rest;
        return space > 0;
    }

    private static bool TryParseAddress(ReadOnlySpan<byte> text, bool isV6, out IPAddress address)
    {
        address = IPAddress.None;
        return isV6 ? TryParseIPv6(text, ref address) : TryParseDottedIPv4(text, ref address);
    }

    // §2.1 asks for "a 4-byte dotted decimal" address. IPAddress.TryParse also takes inet_aton forms
    // ("127.1", "0x7f.0.0.1"), so this insists on four decimal octets without leading zeros, as inet_pton does.
    private static bool TryParseDottedIPv4(ReadOnlySpan<byte> text, ref IPAddress address)
    {
        Span<byte> octets = stackalloc byte[4];
        for (int i = 0; i < octets.Length; i++)
        {
            int dot = text.IndexOf((byte)'.');
            bool last = i == octets.Length - 1;
            if (last != (dot < 0) || !TryParseDecimal(last ? text : text[..dot], 3, out int value) || value > 255)
            {
                return false;
            }

            octets[i] = (byte)value;
            text = last ? text : text[(dot + 1)..];
        }

        address = new IPAddress(octets);
        return true;
    }

    // Only the IPv6 text alphabet is let through, so an IPv4 literal, a scope id or brackets cannot pass.
    private static bool TryParseIPv6(ReadOnlySpan<byte> text, ref IPAddress address)
    {
        if (text.Length > MaxIPv6TextLength || !text.Contains((byte)':')
            || text.ContainsAnyExcept(IPv6TextBytes)
            || !IPAddress.TryParse(text, out var parsed) || parsed.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return false;
        }

        address = parsed;
        return true;
    }

    // §2.1: ports are decimal integers in 0..65535; no sign and no leading zero, as senders print them.
    private static bool TryParsePort(ReadOnlySpan<byte> text, out int port) =>
        TryParseDecimal(text, MaxPortDigits, out port) && port <= IPEndPoint.MaxPort;

    private static bool TryParseDecimal(ReadOnlySpan<byte> text, int maxDigits, out int value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > maxDigits || (text.Length > 1 && text[0] == (byte)'0'))
        {
            return false;
        }

        foreach (byte b in text)
        {
            if (!char.IsAsciiDigit((char)b))
            {
                return false;
            }

            value = (value * 10) + (b - '0');
        }

        return true;
    }
}
