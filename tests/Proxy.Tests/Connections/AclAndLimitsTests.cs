using System.Net;
using System.Net.Sockets;
using Proxy.Tests.Infrastructure;
using static Proxy.Tests.Infrastructure.TestRoutes;

namespace Proxy.Tests.Connections;

public sealed class AclAndLimitsTests
{
    private static async Task<Socket> ConnectFromAsync(IPAddress from, IPAddress to, int port)
    {
        var socket = new Socket(to.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(from, 0));
        await socket.ConnectAsync(new IPEndPoint(to, port));
        return socket;
    }

    [Fact]
    public async Task Global_acl_denies_ipv4_and_ipv6_clients_and_deny_wins_over_allow()
    {
        await using var backend = TcpBackend.Echo();
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(new
        {
            // Dual-stack listener: IPv4 clients arrive as ::ffff:127.0.0.x and must still match IPv4 entries.
            BindAddress = "::",
            Acl = new { Allow = new[] { "127.0.0.0/8", "::1" }, Deny = new[] { "127.0.0.2", "::1/128" } },
            Routes = new[] { Forward("acl", port, backend.Address) },
        });

        using (var allowed = await ConnectFromAsync(IPAddress.Parse("127.0.0.1"), IPAddress.Loopback, port))
        {
            await allowed.AssertEchoesAsync("v4 allowed");
        }

        using (var denied = await ConnectFromAsync(IPAddress.Parse("127.0.0.2"), IPAddress.Loopback, port))
        {
            Assert.True(await denied.IsClosedByPeerAsync());
        }

        using (var deniedV6 = await ConnectFromAsync(IPAddress.IPv6Loopback, IPAddress.IPv6Loopback, port))
        {
            Assert.True(await deniedV6.IsClosedByPeerAsync());
        }

        var refusals = await proxy.Logs.WaitForAsync(_ => proxy.Metrics.Closed(Proxy.Connections.CloseReason.Acl) == 2);
        Assert.NotNull(refusals);
    }

    [Fact]
    public async Task Route_acl_refuses_clients_the_global_acl_lets_in()
    {
        await using var backend = TcpBackend.Echo();
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(new
        {
            Routes = new[]
            {
                new
                {
                    Id = "internal",
                    Match = new { Ports = new[] { Port(port) } },
                    Action = new { Type = "Forward", Targets = new[] { backend.Address } },
                    Acl = new { Allow = new[] { "127.0.0.1/32" } },
                },
            },
        });

        using (var other = await ConnectFromAsync(IPAddress.Parse("127.0.0.3"), IPAddress.Loopback, port))
        {
            Assert.True(await other.IsClosedByPeerAsync());
        }

        await proxy.Logs.WaitForConnectionAsync("RouteAcl", "internal");
        using var allowed = await ConnectFromAsync(IPAddress.Loopback, IPAddress.Loopback, port);
        await allowed.AssertEchoesAsync("allowed");
    }

    [Fact]
    public async Task Per_ip_limit_refuses_the_extra_connection_and_frees_a_slot_on_close()
    {
        await using var backend = TcpBackend.Echo();
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(new
        {
            Limits = new { MaxConnectionsPerIp = 2 },
            Routes = new[] { Forward("limited", port, backend.Address) },
        });

        var first = await ConnectFromAsync(IPAddress.Parse("127.0.0.5"), IPAddress.Loopback, port);
        using var second = await ConnectFromAsync(IPAddress.Parse("127.0.0.5"), IPAddress.Loopback, port);
        await first.AssertEchoesAsync("1");
        await second.AssertEchoesAsync("2");

        using (var third = await ConnectFromAsync(IPAddress.Parse("127.0.0.5"), IPAddress.Loopback, port))
        {
            Assert.True(await third.IsClosedByPeerAsync());
        }

        await proxy.Logs.WaitForConnectionAsync("LimitPerIp");
        using (var otherClient = await ConnectFromAsync(IPAddress.Parse("127.0.0.6"), IPAddress.Loopback, port))
        {
            await otherClient.AssertEchoesAsync("another address is not limited");
        }

        first.Shutdown(SocketShutdown.Send);
        await first.ReadToEndAsync();
        first.Dispose();
        await proxy.Logs.WaitForConnectionAsync("Completed", "limited");

        using var again = await ConnectFromAsync(IPAddress.Parse("127.0.0.5"), IPAddress.Loopback, port);
        await again.AssertEchoesAsync("slot freed");
    }

    [Fact]
    public async Task Total_and_route_limits_refuse_connections_over_them()
    {
        await using var backend = TcpBackend.Echo();
        var port = TestClient.FreePort();
        var routePort = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(new
        {
            Limits = new { MaxConnections = 2 },
            Routes = new object[]
            {
                Forward("total", port, backend.Address),
                new
                {
                    Id = "one-at-a-time",
                    Match = new { Ports = new[] { Port(routePort) } },
                    Action = new { Type = "Forward", Targets = new[] { backend.Address } },
                    Limits = new { MaxConnections = 1 },
                },
            },
        });

        using var routeFirst = await TestClient.ConnectAsync(routePort);
        await routeFirst.AssertEchoesAsync("route 1");
        using (var routeSecond = await TestClient.ConnectAsync(routePort))
        {
            Assert.True(await routeSecond.IsClosedByPeerAsync());
        }

        await proxy.Logs.WaitForConnectionAsync("RouteLimit", "one-at-a-time");

        using var totalSecond = await TestClient.ConnectAsync(port);
        await totalSecond.AssertEchoesAsync("total 2");
        using (var totalThird = await TestClient.ConnectAsync(port))
        {
            Assert.True(await totalThird.IsClosedByPeerAsync());
        }

        await proxy.Logs.WaitForConnectionAsync("LimitTotal");
        await routeFirst.AssertEchoesAsync("earlier connections are untouched");
    }
}
