using System.Diagnostics;
using System.Net.Sockets;
using Proxy.Tests.Infrastructure;
using static Proxy.Tests.Infrastructure.ConnectRoutes;

namespace Proxy.Tests.Relay;

/// <summary>Relay keepalive (1 s pings, 3 s timeout on both nodes): an idle tunnel outlives the timeout, and a peer
/// that dies or goes silent is noticed and its client closed.</summary>
public sealed class RelayKeepAliveTests
{
    private static readonly RelaySetup FastKeepAlive = new() { KeepAliveInterval = "00:00:01", KeepAliveTimeout = "00:00:03" };

    [Fact]
    public async Task Idle_tunnel_outlives_the_keepalive_timeout_and_still_works()
    {
        await using var backend = TcpBackend.Echo();
        await using var nodes = await RelayNodes.StartAsync(FastKeepAlive);

        using var tunnel = await ConnectClient.OpenTunnelAsync(nodes.IngressPort, backend.Address);
        await tunnel.AssertEchoesAsync("before");
        await Task.Delay(TimeSpan.FromSeconds(6.5));

        await tunnel.AssertEchoesAsync("after 6.5 s of silence");
        Assert.DoesNotContain(nodes.Ingress.Logs.Entries, e => e.Message.StartsWith("Connection ", StringComparison.Ordinal));
        Assert.Empty(nodes.EgressTunnelLines);
    }

    [Fact]
    public async Task Stopped_egress_closes_the_idle_client_connection()
    {
        await using var backend = TcpBackend.Echo();
        await using var nodes = await RelayNodes.StartAsync(FastKeepAlive);
        using var tunnel = await ConnectClient.OpenTunnelAsync(nodes.IngressPort, backend.Address);
        await tunnel.AssertEchoesAsync("before");

        // The egress drains for its host's shutdown timeout (10 s in ProxyTestHost), then aborts the tunnel.
        var stopping = nodes.StopEgressAsync();
        var text = await tunnel.ReadToEndTextAsync();

        Assert.Equal(string.Empty, text);
        await stopping.WaitAsync(TestTimeouts.Io);
        await nodes.Ingress.Logs.WaitForAsync(e => e.Message.StartsWith("Connection ", StringComparison.Ordinal)
            && e.Message.Contains($" route={RelayNodes.IngressRoute} ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Egress_that_goes_silent_is_detected_by_keepalive_and_the_client_closed()
    {
        await using var backend = TcpBackend.Echo();
        var egressPort = TestClient.FreePort();
        await using var silent = new StallingForwarder(egressPort);
        await using var nodes = await RelayNodes.StartAsync(FastKeepAlive with { EgressPort = egressPort, Endpoints = _ => [Endpoint(silent.Port)] });
        using var tunnel = await ConnectClient.OpenTunnelAsync(nodes.IngressPort, backend.Address);
        await tunnel.AssertEchoesAsync("before");

        silent.Stall();
        var watch = Stopwatch.StartNew();
        var text = await tunnel.ReadToEndTextAsync();

        Assert.Equal(string.Empty, text);
        Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(15));
        var line = await nodes.Ingress.Logs.WaitForAsync(e => e.Message.StartsWith("Connection ", StringComparison.Ordinal)
            && e.Message.Contains($" route={RelayNodes.IngressRoute} ", StringComparison.Ordinal));
        Assert.DoesNotContain("end=Completed", line.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ingress_that_goes_silent_is_detected_by_the_egress_which_closes_the_destination()
    {
        var destinationClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = new TcpBackend(async (socket, ct) =>
        {
            var buffer = new byte[1024];
            try
            {
                int read;
                while ((read = await socket.ReceiveAsync(buffer, ct)) > 0)
                {
                    await socket.SendAsync(buffer.AsMemory(0, read), ct);
                }
            }
            finally
            {
                destinationClosed.TrySetResult();
            }
        });
        var egressPort = TestClient.FreePort();
        await using var silent = new StallingForwarder(egressPort);
        await using var nodes = await RelayNodes.StartAsync(FastKeepAlive with { EgressPort = egressPort, Endpoints = _ => [Endpoint(silent.Port)] });
        using var tunnel = await ConnectClient.OpenTunnelAsync(nodes.IngressPort, backend.Address);
        await tunnel.AssertEchoesAsync("before");

        silent.Stall();

        await destinationClosed.Task.WaitAsync(TestTimeouts.Io);
        var line = await nodes.Egress.Logs.WaitForAsync(e => e.Message.StartsWith("Relay tunnel route=", StringComparison.Ordinal));
        Assert.DoesNotContain("end=Completed", line.Message, StringComparison.Ordinal);
    }
}
