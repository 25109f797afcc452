using System.Buffers.Binary;

namespace Proxy.Tls;

/// <summary>Bounds-checked readers for TLS presentation-language fields (RFC 8446 §3.3-§3.4) over a span.</summary>
internal static class TlsVectorReader
{
    // Each reader advances the span only on success and never reads past its end, so malformed lengths
    // surface as a false return rather than an exception.

    /// <summary>Reads a big-endian uint16 (RFC 8446 §3.3).</summary>
    public static bool TryReadUInt16(scoped ref ReadOnlySpan<byte> s, out int value)
    {
        if (s.Length < 2)
        {
            value = 0;
            return false;
        }

        value = BinaryPrimitives.ReadUInt16BigEndian(s);
        s = s[2..];
        return true;
    }

    /// <summary>Reads an opaque vector with a one-byte length prefix (RFC 8446 §3.4).</summary>
    public static bool TryReadVector8(scoped ref ReadOnlySpan<byte> s, out ReadOnlySpan<byte> vector)
    {
        vector = default;
        if (s.IsEmpty || s.Length - 1 < s[0])
        {
            return false;
        }

        vector = s.Slice(1, s[0]);
        s = s[(1 + vector.Length)..];
        return true;
    }

    /// <summary>Reads an opaque vector with a two-byte length prefix (RFC 8446 §3.4).</summary>
    public static bool TryReadVector16(scoped ref ReadOnlySpan<byte> s, out ReadOnlySpan<byte> vector)
    {
        vector = default;
        if (s.Length < 2 || s.Length - 2 < BinaryPrimitives.ReadUInt16BigEndian(s))
        {
            return false;
        }

        vector = s.Slice(2, BinaryPrimitives.ReadUInt16BigEndian(s));
        s = s[(2 + vector.Length)..];
        return true;
    }
}
