using System.Globalization;
using System.Text;
using Proxy.Connections;
using Proxy.Forwarding;
using Proxy.Routing;
using Proxy.Udp;

namespace Proxy.Metrics;

/// <summary>Writes the proxy's counters in the Prometheus text exposition format (version 0.0.4).</summary>
internal static class PrometheusText
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    public static string Write(ProxyMetrics metrics, ProxySnapshot snapshot, UdpListeners udp)
    {
        var text = new StringBuilder(4096);
        Family(text, "proxy_up", "gauge", "1 while the proxy runs.");
        Sample(text, "proxy_up", [], 1);
        Family(text, "proxy_uptime_seconds", "gauge", "Seconds since the proxy started.");
        Sample(text, "proxy_uptime_seconds", [], (long)(DateTimeOffset.UtcNow - metrics.Started).TotalSeconds);
        Family(text, "proxy_config_version", "gauge", "Version of the configuration in force.");
        Sample(text, "proxy_config_version", [], snapshot.Version);
        Family(text, "proxy_connections_active", "gauge", "Connections open on route ports.");
        Sample(text, "proxy_connections_active", [], metrics.Active);

        Family(text, "proxy_port_connections_active", "gauge", "Connections open per listening port.");
        foreach (var port in snapshot.Ports.Keys.Order())
        {
            Sample(text, "proxy_port_connections_active", [("port", port.ToString(CultureInfo.InvariantCulture))], metrics.ActiveOnPort(port));
        }

        Family(text, "proxy_connections_closed_total", "counter", "Connections ended, by how they ended (refusals included).");
        foreach (var reason in Enum.GetValues<CloseReason>())
        {
            Sample(text, "proxy_connections_closed_total", [("reason", reason.ToString())], metrics.Closed(reason));
        }

        Family(text, "proxy_udp_flows_active", "gauge", "UDP flows (client addresses with a live mapping) per port.");
        foreach (var listener in udp.Current.OrderBy(l => l.Port))
        {
            Sample(text, "proxy_udp_flows_active", [("port", listener.Port.ToString(CultureInfo.InvariantCulture))], listener.Flows);
        }

        Family(text, "proxy_udp_datagrams_dropped_total", "counter", "UDP datagrams dropped, by reason.");
        foreach (var reason in Enum.GetValues<UdpDrop>())
        {
            Sample(text, "proxy_udp_datagrams_dropped_total", [("reason", reason.ToString())], metrics.UdpDrops(reason));
        }

        var routes = metrics.Routes.OrderBy(r => r.RouteId, StringComparer.Ordinal).ToList();
        RouteFamily(text, routes, "proxy_route_connections_total", "counter", "Connections accepted by a route.", r => r.Connections);
        RouteFamily(text, routes, "proxy_route_connections_active", "gauge", "Connections open on a route.", r => r.Active);
        RouteFamily(text, routes, "proxy_route_received_bytes_total", "counter", "Bytes received from clients on a route.", r => r.BytesFromClient);
        RouteFamily(text, routes, "proxy_route_sent_bytes_total", "counter", "Bytes sent to clients on a route.", r => r.BytesToClient);
        RouteFamily(text, routes, "proxy_route_spliced_bytes_total", "counter", "Of a route's bytes either way, those the kernel moved with splice(2).", r => r.BytesSpliced);
        RouteFamily(text, routes, "proxy_route_failures_total", "counter", "Connections of a route that ended in an error or refusal.", r => r.Failures);

        Family(text, "proxy_target_up", "gauge", "1 while a Forward route's target is in load balancing, 0 while its health (active probes or failed connects) keeps it out.");
        foreach (var route in snapshot.Routes)
        {
            if (route.Action is ForwardAction forward)
            {
                foreach (var target in forward.Pool.Distinct)
                {
                    Sample(text, "proxy_target_up", [("route", route.Id), ("target", target.Address)], target.IsHealthy ? 1 : 0);
                }
            }
        }

        return text.ToString();
    }

    private static void RouteFamily(StringBuilder text, List<RouteStats> routes, string name, string type, string help, Func<RouteStats, long> value)
    {
        Family(text, name, type, help);
        foreach (var route in routes)
        {
            Sample(text, name, [("route", route.RouteId)], value(route));
        }
    }

    private static void Family(StringBuilder text, string name, string type, string help)
        => text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
            .Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    private static void Sample(StringBuilder text, string name, ReadOnlySpan<(string Name, string Value)> labels, long value)
    {
        text.Append(name);
        for (var i = 0; i < labels.Length; i++)
        {
            text.Append(i == 0 ? '{' : ',').Append(labels[i].Name).Append("=\"");
            foreach (var c in labels[i].Value)
            {
                _ = c switch
                {
                    '\\' => text.Append("\\\\"),
                    '"' => text.Append("\\\""),
                    '\n' => text.Append("\\n"),
                    _ => text.Append(c),
                };
            }

            text.Append('"');
        }

        if (labels.Length > 0)
        {
            text.Append('}');
        }

        text.Append(' ').Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
    }
}
