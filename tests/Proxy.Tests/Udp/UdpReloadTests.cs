using System.Net;
using System.Net.Sockets;
using Proxy.Tests.Infrastructure;
using static Proxy.Tests.Udp.UdpRoutes;

namespace Proxy.Tests.Udp;

public sealed class UdpReloadTests
{
    [Fact]
    public async Task Reload_adds_then_removes_a_udp_port_while_an_unrelated_tcp_route_keeps_serving()
    {
        await using var tcpBackend = TcpBackend.Echo();
        await using var udpBackend = new UdpEchoServer();
        var tcpPort = TestClient.FreePort();
        var udpPort = UdpPorts.Free();
        var tcp = TestRoutes.Forward("tcp", tcpPort, tcpBackend.Address);
        await using var proxy = await ProxyTestHost.StartAsync(Section(tcp));
        using var live = await TestClient.ConnectAsync(tcpPort);
        await live.AssertEchoesAsync("before");
        using var client = new UdpTestClient();

        Assert.True(await proxy.ReloadAsync(Section(tcp, UdpRoute("added", udpPort, udpBackend.Address))));
        await client.AssertEchoesAsync(udpPort, Payloads.Text("the added port answers"));
        await live.AssertEchoesAsync("during");
        Assert.Equal(1, (await UdpAdmin.UdpListenerAsync(proxy, udpPort)).ActiveConnections);

        Assert.True(await proxy.ReloadAsync(Section(tcp)));
        await client.AssertNoReplyAsync(udpPort, Payloads.Text("the removed port is silent"));
        Assert.True(UdpPorts.CanBindUdp(udpPort), $"UDP port {udpPort} is still held after its route was removed.");
        Assert.DoesNotContain(await UdpAdmin.ListenersAsync(proxy), l => l.Transport == "udp");
        // The removed port's flow still logs its line.
        await UdpFlowLog.WaitAsync(proxy, client.LocalEndPoint);
        await live.AssertEchoesAsync("after");
        using var fresh = await TestClient.ConnectAsync(tcpPort);
        await fresh.AssertEchoesAsync("new tcp connection");
    }

    [Fact]
    public async Task Udp_and_tcp_routes_on_the_same_port_number_both_serve()
    {
        await using var tcpBackend = TcpBackend.Echo();
        await using var udpBackend = new UdpEchoServer();
        var port = UdpPorts.FreeForUdpAndTcp();
        await using var proxy = await ProxyTestHost.StartAsync(Section(
            TestRoutes.Forward("tcp-side", port, tcpBackend.Address), UdpRoute("udp-side", port, udpBackend.Address)));

        using (var tcp = await TestClient.ConnectAsync(port))
        {
            await tcp.AssertEchoesAsync("over tcp");
        }

        using var udp = new UdpTestClient();
        await udp.AssertEchoesAsync(port, Payloads.Text("over udp"));

        var listeners = (await UdpAdmin.ListenersAsync(proxy)).Where(l => l.Port == port).ToList();
        Assert.Equal(["tcp", "udp"], listeners.Select(l => l.Transport).Order(StringComparer.Ordinal));
        Assert.Equal(["tcp-side"], Assert.Single(listeners, l => l.Transport == "tcp").Routes);
        Assert.Equal(["udp-side"], Assert.Single(listeners, l => l.Transport == "udp").Routes);
    }

    [Fact]
    public async Task Two_udp_routes_on_one_port_are_a_validation_error_naming_the_port()
    {
        await using var backend = new UdpEchoServer();
        var port = UdpPorts.Free();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => ProxyTestHost.StartAsync(Section(
            UdpRoute("first", port, backend.Address), UdpRoute("second", port, backend.Address))));

        Assert.Contains($"UDP port {port}", error.Message, StringComparison.Ordinal);
        Assert.Contains("second", error.Message, StringComparison.Ordinal);
        Assert.True(UdpPorts.CanBindUdp(port), "A refused configuration left its UDP port bound.");
    }

    [Fact]
    public async Task A_health_check_on_a_udp_route_is_a_validation_error()
    {
        var route = UdpRoute("dns", UdpPorts.Free(), "127.0.0.1:53");
        ((Dictionary<string, object>)route["Action"])["HealthCheck"] = new { Active = new { Interval = "00:00:05" } };

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => ProxyTestHost.StartAsync(Section(route)));

        Assert.Contains("Route 'dns': Action.HealthCheck: Health checks probe over TCP", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reload_with_two_udp_routes_on_one_port_is_rejected_and_the_old_route_keeps_serving()
    {
        await using var backend = new UdpEchoServer();
        var port = UdpPorts.Free();
        var old = UdpRoute("old", port, backend.Address);
        await using var proxy = await ProxyTestHost.StartAsync(Section(old));
        using var client = new UdpTestClient();
        await client.AssertEchoesAsync(port, Payloads.Text("before"));

        Assert.False(await proxy.ReloadAsync(Section(old, UdpRoute("clash", port, backend.Address))));

        await proxy.Logs.WaitForAsync(e => e.Message.Contains($"UDP port {port} is already served by route 'old'", StringComparison.Ordinal));
        await client.AssertEchoesAsync(port, Payloads.Text("after"));
    }

    [Fact]
    public async Task Reload_onto_a_udp_port_another_socket_holds_is_rejected_and_the_old_config_keeps_serving()
    {
        await using var backend = new UdpEchoServer();
        using var squatter = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        squatter.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var taken = ((IPEndPoint)squatter.LocalEndPoint!).Port;
        var port = UdpPorts.Free();
        var old = UdpRoute("old", port, backend.Address);
        await using var proxy = await ProxyTestHost.StartAsync(Section(old));
        using var client = new UdpTestClient();
        await client.AssertEchoesAsync(port, Payloads.Text("before"));
        var version = proxy.Config.Current.Version;

        Assert.False(await proxy.ReloadAsync(Section(old, UdpRoute("squatted", taken, backend.Address))));

        await proxy.Logs.WaitForAsync(e => e.Message.Contains($"UDP port {taken} cannot be bound", StringComparison.Ordinal));
        Assert.Equal(version, proxy.Config.Current.Version);
        Assert.DoesNotContain(proxy.Config.Current.Routes, r => r.Id == "squatted");
        Assert.DoesNotContain(await UdpAdmin.ListenersAsync(proxy), l => l.Port == taken);
        await client.AssertEchoesAsync(port, Payloads.Text("old flow still served"));
        using var newcomer = new UdpTestClient(IPAddress.Parse("127.0.0.2"));
        await newcomer.AssertEchoesAsync(port, Payloads.Text("new flow on the old config"));
    }
}
