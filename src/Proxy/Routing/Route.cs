using System.Net;
using Proxy.Configuration;
using Proxy.Metrics;
using Proxy.Networking;

namespace Proxy.Routing;

/// <summary>A validated, compiled route: what it matches, with what precedence, and its action.</summary>
internal sealed class Route
{
    public required string Id { get; init; }

    public required int Priority { get; init; }

    public RouteTransport Transport { get; init; }

    public required IReadOnlyList<PortRange> Ports { get; init; }

    public required IReadOnlyList<DomainPattern> Domains { get; init; }

    /// <summary>ALPN protocol names the ClientHello must offer one of; empty for any.</summary>
    public IReadOnlyList<string> Alpn { get; init; } = [];

    public required NetworkList ClientIps { get; init; }

    /// <summary>The route's own client filter, applied after it is chosen; null when it has none.</summary>
    public AccessList? Acl { get; init; }

    public required EffectiveLimits Limits { get; init; }

    public required IRouteAction Action { get; init; }

    /// <summary>The route id's counters, shared with earlier and later snapshots that keep the id.</summary>
    public required RouteStats Stats { get; init; }

    /// <summary>The configuration this route was compiled from.</summary>
    public required RouteConfig Config { get; init; }

    /// <summary>0 when the route names no domain, a <see cref="DomainPattern"/> score when one matches, -1 when none does.</summary>
    public int DomainScore(string? serverName)
    {
        if (Domains.Count == 0)
        {
            return 0;
        }

        if (serverName is null)
        {
            return -1;
        }

        var best = -1;
        var domains = Domains;
        for (var i = 0; i < domains.Count; i++)
        {
            if (domains[i].Score > best && domains[i].Matches(serverName))
            {
                best = domains[i].Score;
            }
        }

        return best;
    }

    /// <summary>0 when the route names no ALPN protocol, 1 when the client offers one it names, -1 otherwise.</summary>
    public int AlpnScore(IReadOnlyList<string> offered)
    {
        if (Alpn.Count == 0)
        {
            return 0;
        }

        // Indexed loops: no enumerator boxed per connection.
        for (var i = 0; i < offered.Count; i++)
        {
            for (var j = 0; j < Alpn.Count; j++)
            {
                if (string.Equals(offered[i], Alpn[j], StringComparison.Ordinal))
                {
                    return 1;
                }
            }
        }

        return -1;
    }

    /// <summary>0 when the route names no client address, 1 + the matching prefix length when one matches, -1 otherwise.</summary>
    public int ClientScore(IPAddress client)
    {
        if (ClientIps.Count == 0)
        {
            return 0;
        }

        var prefix = ClientIps.LongestMatch(client);
        return prefix < 0 ? -1 : prefix + 1;
    }
}
