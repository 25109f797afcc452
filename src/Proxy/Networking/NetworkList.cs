using System.Net;

namespace Proxy.Networking;

/// <summary>An immutable set of IP networks (CIDR ranges) that compares IPv4, IPv6 and IPv4-mapped IPv6 correctly.</summary>
internal sealed class NetworkList
{
    private readonly IPNetwork[] _networks;

    private NetworkList(IPNetwork[] networks) => _networks = networks;

    public static NetworkList Empty { get; } = new([]);

    public int Count => _networks.Length;

    public IReadOnlyList<IPNetwork> Networks => _networks;

    public static NetworkList Create(IReadOnlyList<IPNetwork> networks)
        => networks.Count == 0 ? Empty : new NetworkList([.. networks]);

    /// <summary>Parses entries such as <c>10.0.0.0/8</c>, <c>2001:db8::/32</c> or a single address.</summary>
    public static bool TryParse(IReadOnlyList<string> entries, out NetworkList list)
    {
        var networks = new IPNetwork[entries.Count];
        list = Empty;
        for (var i = 0; i < entries.Count; i++)
        {
            if (!TryParseNetwork(entries[i], out networks[i]))
            {
                return false;
            }
        }

        list = Create(networks);
        return true;
    }

    public static bool TryParseNetwork(string? text, out IPNetwork network)
    {
        network = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var span = text.AsSpan().Trim();
        var slash = span.IndexOf('/');
        if (!IpAddressText.TryParse(slash < 0 ? span : span[..slash], out var address)
            || (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && address.ScopeId != 0))
        {
            return false;
        }

        if (slash < 0)
        {
            network = new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
        }
        else if (!IPNetwork.TryParse(span, out network))
        {
            return false;
        }

        // Store ::ffff:a.b.c.d/n as a.b.c.d/(n-96) so one comparison rule serves both spellings.
        if (network.BaseAddress.IsIPv4MappedToIPv6 && network.PrefixLength >= 96)
        {
            network = new IPNetwork(network.BaseAddress.MapToIPv4(), network.PrefixLength - 96);
        }

        return true;
    }

    /// <summary>The prefix length of the most specific network containing the address, or -1.</summary>
    public int LongestMatch(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        var best = -1;
        foreach (var network in _networks)
        {
            if (network.PrefixLength > best && network.Contains(address))
            {
                best = network.PrefixLength;
            }
        }

        return best;
    }

    public bool Contains(IPAddress address) => LongestMatch(address) >= 0;
}
