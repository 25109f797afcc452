using System.Buffers;
using System.Globalization;
using System.Text;
using Proxy.Destinations;

namespace Proxy.Connect;

/// <summary>Parses an HTTP/1.x CONNECT request head (RFC 9110 §9.3.6, RFC 9112 §3.2.3) from any number of segments,
/// bounded in size. Pure and synchronous; <c>consumed</c> is the head's length, so bytes sent after the blank line (an
/// eager TLS ClientHello) stay for the destination.</summary>
internal static class ConnectRequestParser
{
    public static ConnectParseStatus TryParse(in ReadOnlySequence<byte> buffer, int maxBytes, out ConnectRequest? request, out int consumed)
    {
        request = null;
        consumed = 0;
        // The head ends at the first empty line; lines end in CRLF, and a bare LF is tolerated (RFC 9112 §2.2), so an
        // empty line is "\n" or "\r\n" right after a "\n".
        var length = HeadLength(buffer, maxBytes);
        if (length < 0)
        {
            return buffer.Length > maxBytes ? ConnectParseStatus.TooLarge : ConnectParseStatus.Incomplete;
        }

        consumed = length;
        var head = buffer.Slice(0, length);
        var text = Encoding.Latin1.GetString(head);
        var lines = text.Split('\n');
        var requestLine = lines[0].TrimEnd('\r').Split(' ');
        if (requestLine.Length != 3 || !IsToken(requestLine[0]) || !requestLine[2].StartsWith("HTTP/1.", StringComparison.Ordinal) || requestLine[2].Length != 8)
        {
            return ConnectParseStatus.BadRequest;
        }

        string? authorization = null;
        for (var i = 1; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (line.Length == 0)
            {
                continue; // The empty line that ends the head (the slice includes it).
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || !IsToken(line[..colon]))
            {
                return ConnectParseStatus.BadRequest; // Also rejects obsolete line folding (RFC 9112 §5.2).
            }

            if (line.AsSpan(0, colon).Equals("Proxy-Authorization", StringComparison.OrdinalIgnoreCase))
            {
                authorization = line[(colon + 1)..].Trim(' ', '\t');
            }
        }

        if (requestLine[0] != "CONNECT")
        {
            return ConnectParseStatus.MethodNotAllowed;
        }

        if (!HostPort.TryParse(requestLine[1], out var host, out var port))
        {
            return ConnectParseStatus.BadRequest;
        }

        request = new ConnectRequest(host, port, authorization);
        return ConnectParseStatus.Complete;
    }

    /// <summary>The length of the head including its empty line, or -1 if none ends within <paramref name="maxBytes"/>.</summary>
    private static int HeadLength(in ReadOnlySequence<byte> buffer, int maxBytes)
    {
        var reader = new SequenceReader<byte>(buffer);
        var lineStart = 0L;
        while (reader.Consumed <= maxBytes && reader.TryAdvanceTo((byte)'\n', advancePastDelimiter: true))
        {
            var lineLength = reader.Consumed - 1 - lineStart;
            var empty = lineLength == 0 || (lineLength == 1 && LastByteBeforeNewLine(buffer, reader.Consumed) == (byte)'\r');
            if (empty && lineStart > 0)
            {
                return reader.Consumed <= maxBytes ? (int)reader.Consumed : -1;
            }

            lineStart = reader.Consumed;
        }

        return -1;
    }

    private static byte LastByteBeforeNewLine(in ReadOnlySequence<byte> buffer, long consumed)
    {
        Span<byte> one = stackalloc byte[1];
        buffer.Slice(consumed - 2, 1).CopyTo(one);
        return one[0];
    }

    private static bool IsToken(string text)
    {
        if (text.Length == 0)
        {
            return false;
        }

        foreach (var c in text)
        {
            if (c <= ' ' || c >= 127 || "()<>@,;:\\\"/[]?={}".Contains(c, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }
}
