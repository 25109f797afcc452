using System.Net;
using Proxy.ProxyProtocol;

namespace Proxy.Routing;

/// <summary>Everything one listening port needs per connection: its routes in match order and how to read the client.</summary>
internal sealed class PortRoutes
{
    public required int Port { get; init; }

    public required IPAddress BindAddress { get; init; }

    /// <summary>Routes on this port, highest priority first.</summary>
    public required IReadOnlyList<Route> Routes { get; init; }

    /// <summary>Some route names a domain or an ALPN protocol, so the ClientHello must be peeked before a route is chosen.</summary>
    public required bool NeedsServerName { get; init; }

    public required ProxyProtocolSettings ProxyProtocol { get; init; }

    /// <summary>The port's HTTP routes terminate TLS: Kestrel's HTTPS middleware runs after the chain.</summary>
    public bool TerminatesTls { get; init; }

    /// <summary>Some route on this port is served by Kestrel's HTTP pipeline (an Http or Relay route); otherwise every
    /// connection ends in a layer-4 action and the port's transport may hand its socket to the action.</summary>
    public bool ServesHttp { get; init; }

    /// <summary>The most generous peek timeout among the port's routes (the route is unknown while peeking).</summary>
    public required TimeSpan PeekTimeout { get; init; }

    public required int PeekMaxBytes { get; init; }

    /// <summary>The best route for a connection: higher priority, then the more specific domain, then a named ALPN
    /// protocol over none, then the more specific client network. Validation guarantees there is never a tie.</summary>
    /// <param name="serverName">The ClientHello's SNI (or, for an HTTP request, its Host), if any.</param>
    /// <param name="protocols">The ALPN protocols the ClientHello offered; empty when none (or no ClientHello).</param>
    /// <param name="clientAddress">The client's address (as a PROXY header carried it, when one did).</param>
    public Route? Match(string? serverName, IReadOnlyList<string> protocols, IPAddress clientAddress)
    {
        Route? best = null;
        int bestPriority = int.MinValue, bestDomain = -1, bestAlpn = -1, bestClient = -1;
        var routes = Routes;
        // Indexed, not foreach: enumerating an IReadOnlyList boxes an enumerator, once per route per connection.
        for (var i = 0; i < routes.Count; i++)
        {
            var route = routes[i];
            if (best is not null && route.Priority < bestPriority)
            {
                break; // Routes are sorted by priority: nothing below can win.
            }

            var domain = route.DomainScore(serverName);
            if (domain < 0)
            {
                continue;
            }

            var alpn = route.AlpnScore(protocols);
            if (alpn < 0)
            {
                continue;
            }

            var client = route.ClientScore(clientAddress);
            if (client < 0)
            {
                continue;
            }

            if (best is null || domain > bestDomain || (domain == bestDomain && (alpn > bestAlpn || (alpn == bestAlpn && client > bestClient))))
            {
                best = route;
                bestPriority = route.Priority;
                bestDomain = domain;
                bestAlpn = alpn;
                bestClient = client;
            }
        }

        return best;
    }
}
