using System.Buffers;

namespace Proxy.ProxyProtocol;

/// <summary>Pure, synchronous detector and parser of a PROXY protocol v1 or v2 header at the start of a stream.</summary>
internal static class ProxyProtocolReader
{
    /// <summary>The v1 line starts with these six bytes (proxy-protocol.txt §2.1).</summary>
    internal static ReadOnlySpan<byte> V1Prefix => "PROXY "u8;

    /// <summary>The 12-byte v2 signature "\r\n\r\n\0\r\nQUIT\n" (proxy-protocol.txt §2.2).</summary>
    internal static ReadOnlySpan<byte> V2Signature => [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    /// <summary>
    /// Parses the header at the start of <paramref name="buffer"/>. On <see cref="ProxyHeaderParseStatus.Complete"/>
    /// the caller slices <c>header.Length</c> bytes off; everything after them is payload.
    /// </summary>
    public static ProxyHeaderParseStatus TryParse(in ReadOnlySequence<byte> buffer, int maxBytes, out ProxyHeader header)
    {
        header = default;

        // Decide from as few bytes as possible: a client that speaks TLS or HTTP directly is told apart
        // by its first byte, since neither signature's first byte ('P', '\r') starts those protocols.
        Span<byte> start = stackalloc byte[V2Signature.Length];
        int seen = (int)Math.Min(buffer.Length, start.Length);
        buffer.Slice(0, seen).CopyTo(start);
        var prefix = start[..seen];

        if (IsPrefixOf(prefix, V2Signature))
        {
            return seen < V2Signature.Length
                ? ProxyHeaderParseStatus.Incomplete
                : ProxyProtocolV2Parser.TryParse(buffer, maxBytes, out header);
        }

        if (IsPrefixOf(prefix, V1Prefix))
        {
            return seen < V1Prefix.Length
                ? ProxyHeaderParseStatus.Incomplete
                : ProxyProtocolV1Parser.TryParse(buffer, maxBytes, out header);
        }

        return ProxyHeaderParseStatus.NotProxyProtocol;
    }

    // True when the bytes seen so far agree with the signature over their common length.
    private static bool IsPrefixOf(ReadOnlySpan<byte> seen, ReadOnlySpan<byte> signature) =>
        seen.Length <= signature.Length ? signature.StartsWith(seen) : seen.StartsWith(signature);
}
