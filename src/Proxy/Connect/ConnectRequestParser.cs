using System.Buffers;
using System.Globalization;
using System.Text;
using Proxy.Networking;
using Proxy.Routing;

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
        var reader = new SequenceReader<byte>(buffer);
        // The head ends at the first empty line; lines end in CRLF (a bare LF is tolerated, RFC 9112 §2.2).
        if (!reader.TryReadTo(out ReadOnlySequence<byte> head, "\r\n\r\n"u8, advancePastDelimiter: true))
        {
            var lfOnly = new SequenceReader<byte>(buffer);
            if (!lfOnly.TryReadTo(out head, "\n\n"u8, advancePastDelimiter: true))
            {
                return buffer.Length > maxBytes ? ConnectParseStatus.TooLarge : ConnectParseStatus.Incomplete;
            }

            reader = lfOnly;
        }

        if (reader.Consumed > maxBytes)
        {
            return ConnectParseStatus.TooLarge;
        }

        consumed = (int)reader.Consumed;
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

        if (!TryParseAuthority(requestLine[1], out var host, out var port))
        {
            return ConnectParseStatus.BadRequest;
        }

        request = new ConnectRequest(host, port, authorization);
        return ConnectParseStatus.Complete;
    }

    /// <summary>host:port, with host a name, an IPv4 address or a bracketed IPv6 address; the port is required.</summary>
    public static bool TryParseAuthority(string authority, out string host, out int port)
    {
        host = string.Empty;
        port = 0;
        var colon = authority.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(authority.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
        {
            return false;
        }

        var hostPart = authority[..colon];
        if (hostPart.StartsWith('['))
        {
            if (!hostPart.EndsWith(']') || !IpAddressText.TryParse(hostPart.AsSpan(1, hostPart.Length - 2), out var v6)
                || v6.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
            {
                return false;
            }

            host = v6.ToString();
            return true;
        }

        if (IpAddressText.TryParse(hostPart, out var v4) && v4.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
        {
            host = v4.ToString();
            return true;
        }

        host = hostPart.ToLowerInvariant();
        return !hostPart.Contains(':', StringComparison.Ordinal) && DomainPattern.TryParse(hostPart, out var name) && name.Score == DomainPattern.ExactScore;
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
