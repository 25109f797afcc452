using System.Net;
using System.Net.Sockets;

namespace Proxy.Networking;

/// <summary>Strict IP address parsing for configuration. <see cref="IPAddress.TryParse(string, out IPAddress)"/> accepts
/// the historic inet_aton forms (<c>10</c>, <c>192.168.1</c>, octal <c>010.0.0.1</c>, hex <c>0x0a.0.0.1</c>) and reads
/// them as other addresses than a reader of the file would; in an ACL that is a security bug.</summary>
internal static class IpAddressText
{
    public static bool TryParse(ReadOnlySpan<char> text, out IPAddress address)
    {
        address = IPAddress.None;
        if (text.Contains(':'))
        {
            if (IPAddress.TryParse(text, out var v6) && v6.AddressFamily == AddressFamily.InterNetworkV6)
            {
                address = v6;
                return true;
            }

            return false;
        }

        return IsDottedQuad(text) && IPAddress.TryParse(text, out address!);
    }

    /// <summary>Four decimal octets 0-255, without signs or leading zeros.</summary>
    private static bool IsDottedQuad(ReadOnlySpan<char> text)
    {
        var parts = 0;
        while (true)
        {
            var dot = text.IndexOf('.');
            var part = dot < 0 ? text : text[..dot];
            if (part.Length is 0 or > 3 || (part.Length > 1 && part[0] == '0'))
            {
                return false;
            }

            var value = 0;
            foreach (var c in part)
            {
                if (!char.IsAsciiDigit(c))
                {
                    return false;
                }

                value = (value * 10) + (c - '0');
            }

            if (value > 255 || ++parts > 4)
            {
                return false;
            }

            if (dot < 0)
            {
                return parts == 4;
            }

            text = text[(dot + 1)..];
        }
    }
}
