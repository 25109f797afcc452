using Proxy.Configuration;

namespace Proxy.Routing;

/// <summary>Finds pairs of routes that would tie for some connection: same port, same priority, an identical
/// domain key, a shared ALPN key and an identical client-address key. Anything else is ordered by specificity.</summary>
internal static class RouteConflicts
{
    public static void Find(IEnumerable<PortRoutes> ports, ICollection<ConfigError> errors)
    {
        var reported = new HashSet<(string, string)>();
        foreach (var port in ports)
        {
            var routes = port.Routes;
            for (var i = 0; i < routes.Count; i++)
            {
                for (var j = i + 1; j < routes.Count && routes[j].Priority == routes[i].Priority; j++)
                {
                    var (a, b) = (routes[i], routes[j]);
                    if (a.Action is Http.IHttpRouteAction httpA && b.Action is Http.IHttpRouteAction httpB)
                    {
                        // Both go to the HTTP pipeline; they tie only if YARP could not tell their requests apart.
                        if (httpA.MatchKey == httpB.MatchKey && SharedHost(a, b) is { } host && reported.Add((a.Id, b.Id)))
                        {
                            errors.Add(new ConfigError(b.Id, "Match",
                                $"Ambiguous with HTTP route '{a.Id}' on port {port.Port}: same priority, host {host}, path, methods and headers."));
                        }

                        continue;
                    }

                    if (SharedDomain(a, b) is { } domain && SharedAlpn(a, b) is { } alpn && SharedClient(a, b) is { } client && reported.Add((a.Id, b.Id)))
                    {
                        errors.Add(new ConfigError(b.Id, "Match",
                            $"Ambiguous with route '{a.Id}' on port {port.Port}: same priority, domain {domain}, ALPN {alpn} and client {client}. " +
                            "Give one a higher Priority or a more specific match."));
                    }
                }
            }
        }
    }

    private static string? SharedDomain(Route a, Route b)
    {
        if (a.Domains.Count == 0 || b.Domains.Count == 0)
        {
            return a.Domains.Count == b.Domains.Count ? "(any)" : null;
        }

        foreach (var x in a.Domains)
        {
            foreach (var y in b.Domains)
            {
                if (x.Text == y.Text)
                {
                    return $"'{x.Text}'";
                }
            }
        }

        return null;
    }

    /// <summary>A protocol both name (a client offering it could match either), or "(any)" when neither names one.</summary>
    private static string? SharedAlpn(Route a, Route b)
    {
        if (a.Alpn.Count == 0 || b.Alpn.Count == 0)
        {
            return a.Alpn.Count == b.Alpn.Count ? "(any)" : null;
        }

        return a.Alpn.FirstOrDefault(b.Alpn.Contains) is { } shared ? $"'{shared}'" : null;
    }

    private static string? SharedHost(Route a, Route b)
    {
        var (x, y) = (a.Config.Match!.Domains, b.Config.Match!.Domains);
        if (x.Count == 0 || y.Count == 0)
        {
            return x.Count == y.Count ? "(any)" : null;
        }

        foreach (var p in x)
        {
            foreach (var q in y)
            {
                if (string.Equals(p, q, StringComparison.OrdinalIgnoreCase))
                {
                    return $"'{p}'";
                }
            }
        }

        return null;
    }

    private static string? SharedClient(Route a, Route b)
    {
        if (a.ClientIps.Count == 0 || b.ClientIps.Count == 0)
        {
            return a.ClientIps.Count == b.ClientIps.Count ? "(any)" : null;
        }

        foreach (var x in a.ClientIps.Networks)
        {
            foreach (var y in b.ClientIps.Networks)
            {
                if (x.Equals(y))
                {
                    return x.ToString();
                }
            }
        }

        return null;
    }
}
