using System.Buffers;
using System.Globalization;
using System.Net.Sockets;
using Proxy.Networking;
using Proxy.Routing;

namespace Proxy.Destinations;

/// <summary>Destinations written <c>host:port</c> (a DNS name, an IPv4 address or a bracketed IPv6 address): the one
/// parser for Forward targets, CONNECT authorities and relay destination headers.</summary>
internal static class HostPort
{
    private static readonly SearchValues<char> DigitsAndDots = SearchValues.Create("0123456789.");

    /// <summary>Parses <c>host:port</c>; the port is required. Names come back lower-cased, addresses normalised.</summary>
    public static bool TryParse(string? text, out string host, out int port)
    {
        host = string.Empty;
        port = 0;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
        {
            return false;
        }

        var hostPart = text[..colon];
        if (hostPart.StartsWith('['))
        {
            if (!hostPart.EndsWith(']') || !IpAddressText.TryParse(hostPart.AsSpan(1, hostPart.Length - 2), out var v6)
                || v6.AddressFamily != AddressFamily.InterNetworkV6)
            {
                return false;
            }

            host = v6.ToString();
            return true;
        }

        // Digits and dots only: it must be a strict dotted quad, not an inet_aton form read as another address.
        if (!hostPart.AsSpan().ContainsAnyExcept(DigitsAndDots))
        {
            if (!IpAddressText.TryParse(hostPart, out var v4))
            {
                return false;
            }

            host = v4.ToString();
            return true;
        }

        host = hostPart.ToLowerInvariant();
        return IsHostName(hostPart);
    }

    /// <summary>A DNS host name (letters, digits, '-', '_', dots; labels of 1-63), never a pattern or arbitrary bytes.</summary>
    public static bool IsHostName(string text)
        => text.Trim().Length == text.Length && !text.Contains(':', StringComparison.Ordinal)
            && DomainPattern.TryParse(text, out var name) && name.Score == DomainPattern.ExactScore;

    public static string Format(string host, int port)
        => host.Contains(':', StringComparison.Ordinal) ? $"[{host}]:{port}" : $"{host}:{port}";
}
