using System.Net;
using Proxy.Configuration;
using Proxy.Networking;
using Proxy.Routing;

namespace Proxy.Destinations;

/// <summary>Where a Connect, Socks5 or Relay route may dial. Names are checked before resolving; every resolved
/// address is checked again before dialing (so DNS rebinding to a private address cannot slip through).</summary>
internal sealed class DestinationPolicy
{
    private static readonly PortRange AnyPort = new(1, 65535);

    private readonly List<Entry> _allow;
    private readonly List<Entry> _deny;

    private DestinationPolicy(List<Entry> allow, List<Entry> deny)
    {
        _allow = allow;
        _deny = deny;
    }

    public static DestinationPolicy? Compile(DestinationsConfig? config, string field, RouteActionContext context)
    {
        config ??= new DestinationsConfig();
        var before = context.Errors.Count;
        var allow = Parse(config.Allow, field + ".Allow", context);
        var deny = Parse(config.Deny, field + ".Deny", context);
        return context.Errors.Count > before ? null : new DestinationPolicy(allow, deny);
    }

    /// <summary>Whether a host name (not an IP literal) may be asked for at all.</summary>
    public bool AllowsName(string host, int port)
    {
        host = host.ToLowerInvariant();
        foreach (var entry in _deny)
        {
            if (entry.Host is { } pattern && pattern.Matches(host) && entry.Ports.Contains(port))
            {
                return false;
            }
        }

        foreach (var entry in _allow)
        {
            if (entry.Host is { } pattern && pattern.Matches(host) && entry.Ports.Contains(port))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether an address may be dialed: an IP literal the client asked for, or an address a permitted name
    /// resolved to (<paramref name="nameAllowed"/>). Special addresses need an explicit IP/CIDR allow entry.</summary>
    public bool AllowsAddress(IPAddress address, int port, bool nameAllowed)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        foreach (var entry in _deny)
        {
            if (entry.Network is { } network && network.Contains(address) && entry.Ports.Contains(port))
            {
                return false;
            }
        }

        foreach (var entry in _allow)
        {
            if (entry.Network is { } network && network.Contains(address) && entry.Ports.Contains(port))
            {
                return true;
            }
        }

        if (SpecialAddresses.Contains(address))
        {
            return false;
        }

        if (nameAllowed)
        {
            return true;
        }

        // An IP literal is public here: a "*" host pattern admits it, as it admits any public name.
        foreach (var entry in _allow)
        {
            if (entry.Host is { Score: DomainPattern.AnyScore } && entry.Ports.Contains(port))
            {
                return true;
            }
        }

        return false;
    }

    private static List<Entry> Parse(IReadOnlyList<string> entries, string field, RouteActionContext context)
    {
        var list = new List<Entry>(entries.Count);
        for (var i = 0; i < entries.Count; i++)
        {
            if (TryParse(entries[i], out var entry))
            {
                list.Add(entry);
            }
            else
            {
                context.Error($"{field}[{i}]", $"'{entries[i]}' is not host-pattern:ports or CIDR:ports (e.g. *.github.com:443, 10.0.0.0/8:*, [2001:db8::/32]:443).");
            }
        }

        return list;
    }

    private static bool TryParse(string text, out Entry entry)
    {
        entry = default;
        var colon = text.LastIndexOf(':');
        if (colon <= 0)
        {
            return false;
        }

        var portText = text[(colon + 1)..];
        var ports = AnyPort;
        if (portText != "*" && !PortRange.TryParse(portText, out ports))
        {
            return false;
        }

        var target = text[..colon];
        if (target.StartsWith('[') && target.EndsWith(']'))
        {
            target = target[1..^1];
        }

        if (target.Contains('/', StringComparison.Ordinal) || IpAddressText.TryParse(target, out _))
        {
            if (!NetworkList.TryParseNetwork(target, out var network))
            {
                return false;
            }

            entry = new Entry(null, network, ports);
            return true;
        }

        if (!DomainPattern.TryParse(target, out var pattern))
        {
            return false;
        }

        entry = new Entry(pattern, null, ports);
        return true;
    }

    private readonly record struct Entry(DomainPattern? Host, IPNetwork? Network, PortRange Ports);
}
