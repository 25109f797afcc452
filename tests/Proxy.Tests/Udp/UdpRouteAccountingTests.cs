using System.Net;
using Proxy.Tests.Infrastructure;
using Proxy.Udp;
using static Proxy.Tests.Udp.UdpRoutes;

namespace Proxy.Tests.Udp;

/// <summary>A UDP route's caps and counters belong to the route, as a TCP route's do: across all its ports, and for the
/// life of each flow (whatever reloads happen meanwhile).</summary>
public sealed class UdpRouteAccountingTests
{
    [Theory]
    [InlineData("MaxConnections")]
    [InlineData("MaxConnectionsPerIp")]
    public async Task Route_flow_cap_counts_the_flows_on_all_the_routes_ports(string cap)
    {
        await using var backend = new UdpEchoServer();
        var first = UdpPorts.Free();
        var second = UdpPorts.Free();
        var limits = new Dictionary<string, object> { [cap] = 1 };
        await using var proxy = await ProxyTestHost.StartAsync(Section(UdpRoute("two-ports", first, [backend.Address], limits).OnPorts(first, second)));
        using var a = new UdpTestClient();
        using var b = new UdpTestClient();

        await a.AssertEchoesAsync(first, Payloads.Text("the route's one flow"));
        await b.AssertNoReplyAsync(second, Payloads.Text("a second flow of the same route, on its other port"));

        Assert.Equal(1, proxy.Metrics.UdpDrops(UdpDrop.FlowLimit));
    }

    [Fact]
    public async Task Flow_opened_before_a_reload_that_renames_the_route_is_closed_on_its_own_routes_counters()
    {
        await using var backend = new UdpEchoServer();
        var port = UdpPorts.Free();
        var idle = new { IdleTimeout = "00:00:01" };
        await using var proxy = await ProxyTestHost.StartAsync(Section(UdpRoute("before", port, backend.Address, idle)));
        using var client = new UdpTestClient();
        await client.AssertEchoesAsync(port, Payloads.Text("opened by 'before'"));
        Assert.Contains("proxy_route_connections_active{route=\"before\"} 1", (await UdpAdmin.MetricsAsync(proxy)).Split('\n'));

        Assert.True(await proxy.ReloadAsync(Section(UdpRoute("after", port, backend.Address, idle))));
        var (_, line) = await UdpFlowLog.WaitAsync(proxy, client.LocalEndPoint, "IdleTimeout");

        // Samples are ordered by route id; both routes' gauges are back to 0 once the flow is gone.
        var active = (await UdpAdmin.MetricsAsync(proxy)).Split('\n')
            .Where(l => l.StartsWith("proxy_route_connections_active{", StringComparison.Ordinal)).ToArray();
        Assert.Equal(["proxy_route_connections_active{route=\"after\"} 0", "proxy_route_connections_active{route=\"before\"} 0"], active);
        Assert.Equal("before", line.Route);
    }
}
