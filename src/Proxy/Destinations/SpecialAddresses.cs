using System.Net;
using Proxy.Networking;

namespace Proxy.Destinations;

/// <summary>Addresses a forward proxy must not reach unless told to explicitly: loopback, private, shared (CGNAT),
/// link-local (cloud metadata at 169.254.169.254 and fd00:ec2::254), unique-local, multicast and reserved ranges
/// (RFC 6890 special-purpose registries).</summary>
internal static class SpecialAddresses
{
    private static readonly NetworkList Ranges = Create(
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24",
        "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4",
        "::/128", "::1/128", "64:ff9b::/96", "64:ff9b:1::/48", "fc00::/7", "fe80::/10", "ff00::/8");

    public static bool Contains(IPAddress address) => Ranges.Contains(address);

    private static NetworkList Create(params string[] ranges)
        => NetworkList.TryParse(ranges, out var list) ? list : throw new InvalidOperationException("Bad built-in range.");
}
