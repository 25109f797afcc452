using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Proxy.Tests.Infrastructure;
using static Proxy.Tests.Infrastructure.TestRoutes;

namespace Proxy.Tests.Admin;

public sealed class RouteDrainTests
{
    private static readonly IPAddress Other = IPAddress.Parse("127.0.0.2");

    private static async Task<Socket> ConnectFromAsync(IPAddress source, int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            socket.Bind(new IPEndPoint(source, 0));
            using var cts = new CancellationTokenSource(TestTimeouts.Io);
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cts.Token);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    [Fact]
    public async Task Deleted_api_route_lets_its_live_connection_continue_and_closes_it_after_the_drain_timeout()
    {
        var drain = TimeSpan.FromSeconds(1);
        await using var a = TcpBackend.Greeting("A");
        await using var b = TcpBackend.Greeting("B");
        var port = TestClient.FreePort();
        var adminPort = TestClient.FreePort();
        var section = new
        {
            BindAddress = "127.0.0.1",
            Routes = new[] { Forward("shared-b", port, b.Address) },
            Admin = new { Urls = new[] { $"http://127.0.0.1:{adminPort}" }, DrainTimeout = "00:00:01" },
        };
        await using var proxy = await ProxyTestHost.StartAsync(section);
        using var admin = new AdminClient(new Uri($"http://127.0.0.1:{adminPort}"));
        await admin.CreateAsync(new
        {
            Id = "only-for-2",
            Match = new { Ports = new[] { Port(port) }, ClientIps = new[] { "127.0.0.2/32" } },
            Action = new { Type = "Forward", Targets = new[] { a.Address } },
        });

        using var live = await ConnectFromAsync(Other, port);
        Assert.Equal("A", await live.ReadTextAsync(1));
        await live.AssertEchoesAsync("before the delete");
        using (var fromOne = await TestClient.ConnectAsync(port))
        {
            Assert.Equal("B", await fromOne.ReadTextAsync(1));
        }

        var clock = Stopwatch.StartNew();
        using (var response = await admin.DeleteAsync("/api/routes/only-for-2"))
        {
            await AdminClient.AssertStatusAsync(response, HttpStatusCode.NoContent);
        }

        // The port stays (route B is on it); the live connection of the deleted route goes on, new ones go to B.
        await live.AssertEchoesAsync("right after the delete");
        using (var fresh = await ConnectFromAsync(Other, port))
        {
            Assert.Equal("B", await fresh.ReadTextAsync(1));
        }

        await live.AssertEchoesAsync("still draining");
        var rest = await live.ReadToEndAsync();
        var closedAfter = clock.Elapsed;

        Assert.Empty(rest);
        Assert.True(closedAfter >= drain - TimeSpan.FromMilliseconds(100), $"Closed after {closedAfter}, before the drain timeout {drain}.");
        Assert.True(closedAfter < TimeSpan.FromSeconds(4), $"Closed after {closedAfter}: not by the {drain} drain timeout.");
        await proxy.Logs.WaitForAsync(e => e.Message.Contains("Route only-for-2 was removed: closed 1 connections", StringComparison.Ordinal));

        using var afterDrain = await ConnectFromAsync(Other, port);
        Assert.Equal("B", await afterDrain.ReadTextAsync(1));
        await afterDrain.AssertEchoesAsync("route B is untouched");
    }
}
