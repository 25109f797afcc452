using Proxy.Connections;
using Proxy.Hosting;
using Proxy.Metrics;
using Proxy.Routing;
using Proxy.Udp;

namespace Proxy.Admin;

/// <summary>The read-only views of the admin API: listeners and status.</summary>
internal static class AdminViews
{
    public static IReadOnlyList<ListenerView> Listeners(ProxySnapshot snapshot, ProxyMetrics metrics, UdpListeners udp)
    {
        var listeners = new List<ListenerView>(snapshot.Ports.Count);
        foreach (var port in snapshot.Ports.Values.OrderBy(p => p.Port))
        {
            listeners.Add(new ListenerView(port.Port, "tcp", port.BindAddress.ToString(), port.TerminatesTls, port.ProxyProtocol.Mode.ToString(),
                port.Routes.Select(r => r.Id).ToArray(), metrics.ActiveOnPort(port.Port)));
        }

        foreach (var listener in udp.Current.OrderBy(l => l.Port))
        {
            // For UDP, the live count is the number of flows (client addresses with a recent datagram).
            listeners.Add(new ListenerView(listener.Port, "udp", listener.BindAddress.ToString(), false, "Off", [listener.Route.Id], listener.Flows));
        }

        return listeners;
    }

    public static StatusView Status(LiveConfiguration live, ProxyMetrics metrics)
    {
        var snapshot = live.Current;
        var routes = new List<RouteStatusView>();
        foreach (var route in snapshot.Routes)
        {
            var stats = route.Stats;
            var origin = live.ApiRoutes.Any(r => string.Equals(r.Id, route.Id, StringComparison.OrdinalIgnoreCase)) ? RouteAdmin.ApiOrigin : RouteAdmin.ConfigOrigin;
            routes.Add(new RouteStatusView(route.Id, origin, stats.Connections, stats.Active, stats.BytesFromClient, stats.BytesToClient, stats.Failures));
        }

        var closed = new Dictionary<string, long>();
        foreach (var reason in Enum.GetValues<CloseReason>())
        {
            closed[reason.ToString()] = metrics.Closed(reason);
        }

        return new StatusView((long)(DateTimeOffset.UtcNow - metrics.Started).TotalSeconds, snapshot.Version, metrics.Active, routes, closed);
    }
}

/// <summary>A bound route port.</summary>
public sealed record ListenerView(int Port, string Transport, string BindAddress, bool TerminatesTls, string ProxyProtocol,
    IReadOnlyList<string> Routes, long ActiveConnections);

/// <summary>The proxy's state: uptime, configuration version, totals per route, connection endings by reason.</summary>
public sealed record StatusView(long UptimeSeconds, long ConfigVersion, long ActiveConnections, IReadOnlyList<RouteStatusView> Routes,
    IReadOnlyDictionary<string, long> ConnectionsClosed);

/// <summary>Totals of one route.</summary>
public sealed record RouteStatusView(string Id, string Origin, long Connections, long ActiveConnections, long BytesFromClients,
    long BytesToClients, long Failures);
