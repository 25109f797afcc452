using System.Text;
using static Proxy.Tls.TlsVectorReader;

namespace Proxy.Tls;

/// <summary>Parses a reassembled ClientHello body (RFC 8446 §4.1.2) for its version, SNI and ALPN.</summary>
internal static class ClientHelloBodyParser
{
    private const int RandomLength = 32;
    private const int MaxSessionIdLength = 32;
    private const int ServerNameExtension = 0; // RFC 6066 §3
    private const int AlpnExtension = 16; // RFC 7301 §3.1
    private const int HostNameType = 0; // RFC 6066 §3 NameType.host_name
    private const int MaxHostNameLength = 255;
    private const int MaxLabelLength = 63;

    public static ClientHelloParseStatus Parse(ReadOnlySpan<byte> body, int totalLength, out ClientHelloInfo? info)
    {
        info = null;
        var s = body;

        // RFC 8446 §4.1.2: legacy_version, random[32], legacy_session_id<0..32>,
        // cipher_suites<2..2^16-2> (pairs), legacy_compression_methods<1..2^8-1>, then extensions; the
        // block may be empty or absent for TLS 1.2 clients (RFC 5246 §7.4.1.2), so only its framing is checked.
        if (!TryReadUInt16(ref s, out int version) || s.Length < RandomLength)
        {
            return ClientHelloParseStatus.Invalid;
        }

        s = s[RandomLength..];
        if (!TryReadVector8(ref s, out var sessionId) || sessionId.Length > MaxSessionIdLength
            || !TryReadVector16(ref s, out var cipherSuites) || cipherSuites.Length < 2 || (cipherSuites.Length & 1) != 0
            || !TryReadVector8(ref s, out var compression) || compression.IsEmpty)
        {
            return ClientHelloParseStatus.Invalid;
        }

        // A pre-extension client ends the hello here; otherwise the block's length must cover exactly the rest.
        ReadOnlySpan<byte> hostName = default;
        ReadOnlySpan<byte> alpnList = default;
        bool hasAlpn = false;
        if (!s.IsEmpty
            && (!TryReadVector16(ref s, out var extensions) || !s.IsEmpty
                || !TryFindExtensions(extensions, out hostName, out alpnList, out hasAlpn)))
        {
            return ClientHelloParseStatus.Invalid;
        }

        int protocolCount = 0;
        if ((!hostName.IsEmpty && !IsValidHostName(hostName)) || (hasAlpn && !TryCountProtocols(alpnList, out protocolCount)))
        {
            return ClientHelloParseStatus.Invalid;
        }

        string? serverName = hostName.IsEmpty ? null : ToLowerAscii(hostName);
        IReadOnlyList<string> protocols = protocolCount == 0 ? [] : ReadProtocols(alpnList, protocolCount);
        info = new ClientHelloInfo(serverName, protocols, (ushort)version, totalLength);
        return ClientHelloParseStatus.Complete;
    }

    private static bool TryFindExtensions(
        ReadOnlySpan<byte> extensions, out ReadOnlySpan<byte> hostName, out ReadOnlySpan<byte> alpnList, out bool hasAlpn)
    {
        hostName = default;
        alpnList = default;
        hasAlpn = false;

        // RFC 8446 §4.2: at most one extension of each type; a 65536-bit set on the stack tracks them.
        Span<ulong> seen = stackalloc ulong[1024];
        seen.Clear();
        while (!extensions.IsEmpty)
        {
            if (!TryReadUInt16(ref extensions, out int type) || !TryReadVector16(ref extensions, out var data))
            {
                return false;
            }

            ulong bit = 1UL << (type & 63);
            if ((seen[type >> 6] & bit) != 0)
            {
                return false;
            }

            seen[type >> 6] |= bit;
            if (type == ServerNameExtension && !TryFindHostName(data, out hostName))
            {
                return false;
            }

            if (type == AlpnExtension)
            {
                // RFC 7301 §3.1: ProtocolNameList protocol_name_list<2..2^16-1>.
                if (!TryReadVector16(ref data, out alpnList) || !data.IsEmpty || alpnList.Length < 2)
                {
                    return false;
                }

                hasAlpn = true;
            }
        }

        return true;
    }

    // RFC 6066 §3: ServerNameList server_name_list<1..2^16-1>; HostName<1..2^16-1>. Every NameType's data
    // starts with a 16-bit length, so unknown types can be skipped; only the first host_name is used.
    private static bool TryFindHostName(ReadOnlySpan<byte> data, out ReadOnlySpan<byte> hostName)
    {
        hostName = default;
        if (!TryReadVector16(ref data, out var list) || !data.IsEmpty || list.IsEmpty)
        {
            return false;
        }

        while (!list.IsEmpty)
        {
            int nameType = list[0];
            list = list[1..];
            if (!TryReadVector16(ref list, out var name) || name.IsEmpty)
            {
                return false;
            }

            if (nameType == HostNameType && hostName.IsEmpty)
            {
                hostName = name;
            }
        }

        return true;
    }

    // RFC 6066 §3: ASCII DNS hostname without a trailing dot; labels 1..63 of letters, digits, '-' and the
    // '_' that real deployments use. Anything else cannot be a routing key and is rejected.
    private static bool IsValidHostName(ReadOnlySpan<byte> name)
    {
        if (name.Length > MaxHostNameLength)
        {
            return false;
        }

        int labelLength = 0;
        foreach (byte b in name)
        {
            if (b == (byte)'.')
            {
                if (labelLength == 0)
                {
                    return false;
                }

                labelLength = 0;
            }
            else if (char.IsAsciiLetterOrDigit((char)b) || b is (byte)'-' or (byte)'_')
            {
                if (++labelLength > MaxLabelLength)
                {
                    return false;
                }
            }
            else
            {
                return false;
            }
        }

        return labelLength > 0;
    }

    private static string ToLowerAscii(ReadOnlySpan<byte> name)
    {
        Span<char> chars = stackalloc char[MaxHostNameLength];
        for (int i = 0; i < name.Length; i++)
        {
            chars[i] = char.ToLowerInvariant((char)name[i]);
        }

        return new string(chars[..name.Length]);
    }

    // RFC 7301 §3.1: ProtocolName protocol_name<1..2^8-1>.
    private static bool TryCountProtocols(ReadOnlySpan<byte> list, out int count)
    {
        count = 0;
        while (!list.IsEmpty)
        {
            if (!TryReadVector8(ref list, out var name) || name.IsEmpty)
            {
                return false;
            }

            count++;
        }

        return true;
    }

    private static string[] ReadProtocols(ReadOnlySpan<byte> list, int count)
    {
        var protocols = new string[count];
        for (int i = 0; i < count; i++)
        {
            TryReadVector8(ref list, out var name);
            protocols[i] = ProtocolName(name);
        }

        return protocols;
    }

    // The registered names clients send almost always come back as literals, so no string is allocated for them.
    private static string ProtocolName(ReadOnlySpan<byte> name) =>
        name.SequenceEqual("h2"u8) ? "h2"
        : name.SequenceEqual("http/1.1"u8) ? "http/1.1"
        : name.SequenceEqual("http/1.0"u8) ? "http/1.0"
        : name.SequenceEqual("h3"u8) ? "h3"
        : Encoding.UTF8.GetString(name);
}
