using System.Net;
using Proxy.Configuration;
using Proxy.Forwarding;
using Proxy.Routing;

namespace Proxy.Udp;

/// <summary>What a UDP route may be (a Forward without SNI, HTTP or PROXY header), and the UDP port table: one UDP route
/// per port (a TCP route on the same number is fine).</summary>
internal static class UdpRouteRules
{
    public static void Check(string id, RouteConfig config, IRouteAction? action, ICollection<ConfigError> errors)
    {
        if (action is not (null or ForwardAction))
        {
            errors.Add(new ConfigError(id, "Action.Type", "A UDP route must be a Forward route."));
        }

        if (config.Match?.Alpn.Count > 0)
        {
            errors.Add(new ConfigError(id, "Match.Alpn", "Alpn (TLS) applies to TCP routes only."));
        }

        if (config.Match?.Domains.Count > 0)
        {
            errors.Add(new ConfigError(id, "Match.Domains", "Domains (SNI) apply to TCP routes only."));
        }

        if (config.Action?.HealthCheck is not null)
        {
            errors.Add(new ConfigError(id, "Action.HealthCheck", "Health checks probe over TCP; UDP routes have none (a TCP probe would call a UDP-only target down)."));
        }

        if (action is ForwardAction { ProxyHeader: not Proxy.ProxyProtocol.ProxyHeaderVersion.None })
        {
            errors.Add(new ConfigError(id, "Action.ProxyProtocol", "A PROXY header is not sent on UDP routes."));
        }
    }

    public static Dictionary<int, UdpPortRoute> BuildPorts(ProxyOptions options, IReadOnlyList<Route> routes, IPAddress defaultBind, ICollection<ConfigError> errors)
    {
        var ports = new Dictionary<int, UdpPortRoute>();
        foreach (var route in routes)
        {
            if (route.Transport != RouteTransport.Udp)
            {
                continue;
            }

            foreach (var range in route.Ports)
            {
                for (var port = range.First; port <= range.Last; port++)
                {
                    if (ports.TryGetValue(port, out var other))
                    {
                        errors.Add(new ConfigError(route.Id, "Match.Ports",
                            $"UDP port {port} is already served by route '{other.Route.Id}'; a UDP port has one route."));
                        continue;
                    }

                    var bind = options.Ports.TryGetValue(port.ToString(System.Globalization.CultureInfo.InvariantCulture), out var settings)
                        && settings.BindAddress is { } text && IPAddress.TryParse(text, out var address) ? address : defaultBind;
                    ports[port] = new UdpPortRoute(port, bind, route);
                }
            }
        }

        return ports;
    }
}
