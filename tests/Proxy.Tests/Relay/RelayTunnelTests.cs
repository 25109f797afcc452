using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Proxy.Tests.Infrastructure;
using static Proxy.Tests.Infrastructure.ConnectRoutes;

namespace Proxy.Tests.Relay;

/// <summary>CONNECT through an ingress node and an egress node (CONNECT-over-WebSocket): real curl, eager bytes,
/// half-close both ways, many tunnels at once, the idle timeout and the ingress's own destination policy.</summary>
public sealed class RelayTunnelTests
{
    [Fact]
    public async Task Curl_reaches_an_https_server_through_the_ingress_and_the_egress()
    {
        using var certificate = TestCertificates.Create("localhost");
        await using var backend = await HttpBackend.StartAsync("behind-egress", certificate);
        var backendPort = new Uri(backend.Url).Port;
        await using var nodes = await RelayNodes.StartAsync();

        var result = await CurlClient.RunAsync(
            ["-sS", "-k", "-x", $"http://127.0.0.1:{nodes.IngressPort}", "--proxy-user", $"{User}:{Password}", $"https://localhost:{backendPort}/via-relay"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        var echo = JsonSerializer.Deserialize<BackendEcho>(result.Stdout, JsonSerializerOptions.Web);
        Assert.Equal(("behind-egress", "/via-relay", $"localhost:{backendPort}"), (echo!.Backend, echo.Path, echo.Host));

        var ingressLine = await nodes.Ingress.Logs.WaitForAsync(e => e.Message.StartsWith("Connection ", StringComparison.Ordinal)
            && e.Message.Contains($" route={RelayNodes.IngressRoute} ", StringComparison.Ordinal));
        Assert.Contains($"target={nodes.ViaTarget($"localhost:{backendPort}")} ", ingressLine.Message, StringComparison.Ordinal);
        var egressLine = await nodes.Egress.Logs.WaitForAsync(e => e.Message.StartsWith("Relay tunnel route=", StringComparison.Ordinal));
        Assert.Contains($"Relay tunnel route={RelayNodes.EgressRoute} token={TokenId} client=127.0.0.1 destination=localhost:{backendPort} ",
            egressLine.Message, StringComparison.Ordinal);
        Assert.Single(nodes.EgressTunnelLines);
    }

    [Fact]
    public async Task Bytes_sent_with_the_head_cross_the_relay_after_the_200()
    {
        await using var backend = TcpBackend.Echo();
        await using var nodes = await RelayNodes.StartAsync();
        const string Eager = "\x16\x03\x01 eager bytes, as a ClientHello would be";

        using var socket = await TestClient.ConnectAsync(nodes.IngressPort);
        await socket.SendAsync(ConnectClient.Request(backend.Address) + Eager);

        Assert.Equal(ConnectClient.Established, await ConnectClient.ReadHeadAsync(socket));
        Assert.Equal(Eager, await socket.ReadTextAsync(Eager.Length));
    }

    [Fact]
    public async Task Client_half_close_through_the_relay_still_gets_the_whole_response()
    {
        // The destination answers only after the request's FIN (like `nc -N`, or an HTTP/1.0 client).
        var response = new string('r', 300_000);
        await using var backend = new TcpBackend(async (socket, ct) =>
        {
            var request = await socket.ReadToEndTextAsync();
            await socket.SendAsync(Encoding.ASCII.GetBytes("got " + request + "; " + response), ct);
            socket.Shutdown(SocketShutdown.Send);
        });
        await using var nodes = await RelayNodes.StartAsync();

        using var tunnel = await ConnectClient.OpenTunnelAsync(nodes.IngressPort, backend.Address);
        await tunnel.SendAsync("request");
        tunnel.Shutdown(SocketShutdown.Send);

        Assert.Equal("got request; " + response, await tunnel.ReadToEndTextAsync());
        var line = await nodes.Ingress.Logs.WaitForConnectionAsync("Completed", RelayNodes.IngressRoute);
        Assert.Contains($"in=7 out={13 + response.Length} ", line.Message, StringComparison.Ordinal);
        var egressLine = await nodes.Egress.Logs.WaitForAsync(e => e.Message.StartsWith("Relay tunnel route=", StringComparison.Ordinal));
        Assert.Contains(" end=Completed", egressLine.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Destination_half_close_through_the_relay_still_receives_what_the_client_sends_afterwards()
    {
        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = new TcpBackend(async (socket, ct) =>
        {
            await socket.SendAsync("hello, then FIN"u8.ToArray(), ct);
            socket.Shutdown(SocketShutdown.Send);
            received.SetResult(await socket.ReadToEndTextAsync());
        });
        await using var nodes = await RelayNodes.StartAsync();

        using var tunnel = await ConnectClient.OpenTunnelAsync(nodes.IngressPort, backend.Address);
        Assert.Equal("hello, then FIN", await tunnel.ReadToEndTextAsync());
        var late = new string('x', 200_000);
        await tunnel.SendAsync(late);
        tunnel.Shutdown(SocketShutdown.Send);

        Assert.Equal(late, await received.Task.WaitAsync(TestTimeouts.Io));
        await nodes.Ingress.Logs.WaitForConnectionAsync("Completed", RelayNodes.IngressRoute);
    }

    [Fact]
    public async Task Ipv6_destination_crosses_the_relay_in_brackets()
    {
        await using var backend = new TcpBackend(async (socket, ct) =>
        {
            var buffer = new byte[1024];
            int read;
            while ((read = await socket.ReceiveAsync(buffer, ct)) > 0)
            {
                await socket.SendAsync(buffer.AsMemory(0, read), ct);
            }
        }, System.Net.IPAddress.IPv6Loopback);
        await using var nodes = await RelayNodes.StartAsync(new RelaySetup
        {
            EgressAllow = ["[::1]:*"],
            IngressAction = new() { ["Destinations"] = new { Allow = new[] { "[::1]:*" } } },
        });

        using (var tunnel = await ConnectClient.OpenTunnelAsync(nodes.IngressPort, $"[::1]:{backend.Port}"))
        {
            await tunnel.AssertEchoesAsync("over ipv6 and a relay");
        }

        var line = await nodes.Egress.Logs.WaitForAsync(e => e.Message.StartsWith("Relay tunnel route=", StringComparison.Ordinal));
        Assert.Contains($"destination=[::1]:{backend.Port} ", line.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Relay_runs_over_tls_to_an_egress_that_terminates_tls_beside_an_http_route()
    {
        using var certificate = TestCertificates.Create("localhost");
        using var files = new CertificateFiles();
        await using var web = await HttpBackend.StartAsync("web");
        await using var backend = TcpBackend.Echo();
        var egressPort = TestClient.FreePort();
        var tls = new { Mode = "Terminate", Certificate = "edge" };
        var egressSection = Section(
            [
                RelayRoute("relay", egressPort, [.. Loopback], action: new() { ["Tls"] = tls },
                    route: new() { ["Match"] = new { Ports = new[] { Port(egressPort) }, Domains = new[] { "localhost" }, Path = "/relay/v1/tcp" } }),
                new Dictionary<string, object>
                {
                    ["Id"] = "web",
                    ["Match"] = new { Ports = new[] { Port(egressPort) }, Domains = new[] { "localhost" } },
                    ["Action"] = new { Type = "Http", Targets = new[] { web.Url }, Tls = tls },
                },
            ],
            users: false);
        egressSection["Certificates"] = new Dictionary<string, object> { ["edge"] = files.Pem("edge", certificate) };
        await using var egress = await ProxyTestHost.StartAsync(egressSection);
        var ingressPort = TestClient.FreePort();
        await using var ingress = await ProxyTestHost.StartAsync(Section(
            [ConnectRoute("ingress", ingressPort, [.. Loopback], via: Pool)],
            RelayPool([new { Url = $"wss://localhost:{egressPort}/relay/v1/tcp", Token, DangerousAcceptAnyServerCertificate = true }])));

        using (var tunnel = await ConnectClient.OpenTunnelAsync(ingressPort, backend.Address))
        {
            await tunnel.AssertEchoesAsync("through wss");
        }

        var line = await egress.Logs.WaitForAsync(e => e.Message.StartsWith("Relay tunnel route=relay ", StringComparison.Ordinal));
        Assert.Contains($"destination={backend.Address} ", line.Message, StringComparison.Ordinal);
        var result = await CurlClient.RunAsync(["-sS", "-k", $"https://localhost:{egressPort}/beside"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("web", JsonSerializer.Deserialize<BackendEcho>(result.Stdout, JsonSerializerOptions.Web)!.Backend);
    }

    [Fact]
    public async Task Fifty_concurrent_tunnels_each_echo_their_own_payload()
    {
        await using var backend = TcpBackend.Echo();
        await using var nodes = await RelayNodes.StartAsync();

        await Task.WhenAll(Enumerable.Range(0, 50).Select(async i =>
        {
            var payload = new byte[100_000 + (i * 1000)];
            new Random(i).NextBytes(payload);
            using var tunnel = await ConnectClient.OpenTunnelAsync(nodes.IngressPort, backend.Address);
            var echoed = tunnel.ReadToEndAsync();
            await tunnel.SendAsync(payload, SocketFlags.None);
            tunnel.Shutdown(SocketShutdown.Send);
            Assert.Equal(payload, await echoed);
        })).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(50, backend.Accepted);
        // One line per tunnel on each node, each written as its tunnel ends (after the client saw the echo).
        await nodes.Egress.Logs.WaitForAsync(e => e.Message.StartsWith("Relay tunnel ", StringComparison.Ordinal), 50);
        Assert.Equal(50, nodes.EgressTunnelLines.Count());
        Assert.All(nodes.EgressTunnelLines, e => Assert.Contains(" end=Completed", e.Message, StringComparison.Ordinal));
        static bool IsConnectionLine(LogEntry e) => e.Message.StartsWith("Connection ", StringComparison.Ordinal);
        var ingressLines = await nodes.Ingress.Logs.WaitForAsync(IsConnectionLine, 50);
        Assert.Equal(50, nodes.Ingress.Logs.Entries.Count(IsConnectionLine));
        Assert.All(ingressLines, e => Assert.Contains(" end=Completed", e.Message, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Idle_tunnel_is_closed_after_the_ingress_idle_timeout()
    {
        await using var backend = TcpBackend.Echo();
        await using var nodes = await RelayNodes.StartAsync(new RelaySetup
        {
            IngressRoute = new() { ["Limits"] = new { IdleTimeout = "00:00:01" } },
        });

        using var tunnel = await ConnectClient.OpenTunnelAsync(nodes.IngressPort, backend.Address);
        await tunnel.AssertEchoesAsync("before idling");
        var watch = System.Diagnostics.Stopwatch.StartNew();

        Assert.Equal(string.Empty, await tunnel.ReadToEndTextAsync());
        Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(10));
        await nodes.Ingress.Logs.WaitForConnectionAsync("IdleTimeout", RelayNodes.IngressRoute);
        await nodes.Egress.Logs.WaitForAsync(e => e.Message.StartsWith("Relay tunnel route=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Idle_tunnel_is_closed_after_the_egress_idle_timeout_and_the_egress_logs_it()
    {
        await using var backend = TcpBackend.Echo();
        await using var nodes = await RelayNodes.StartAsync(new RelaySetup
        {
            EgressRoute = new() { ["Limits"] = new { IdleTimeout = "00:00:01" } },
        });

        using var tunnel = await ConnectClient.OpenTunnelAsync(nodes.IngressPort, backend.Address);
        await tunnel.AssertEchoesAsync("before idling");

        Assert.Equal(string.Empty, await tunnel.ReadToEndTextAsync());
        var line = await nodes.Egress.Logs.WaitForAsync(e => e.Message.StartsWith("Relay tunnel route=", StringComparison.Ordinal));
        Assert.Contains(" end=IdleTimeout", line.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ingress_destination_policy_applies_before_the_relay_is_asked()
    {
        // The design's example pairs Via with Destinations on the ingress route: the ingress must not open a tunnel to
        // a destination its own policy refuses, whatever the egress would allow.
        await using var backend = TcpBackend.Echo();
        await using var nodes = await RelayNodes.StartAsync(new RelaySetup
        {
            IngressAction = new() { ["Destinations"] = new { Allow = new[] { "127.0.0.1/32:1-1023" } } },
        });

        var (socket, head) = await ConnectClient.OpenAsync(nodes.IngressPort, backend.Address);
        socket.Dispose();

        Assert.StartsWith("HTTP/1.1 403 Forbidden\r\n", head, StringComparison.Ordinal);
        Assert.Empty(nodes.EgressTunnelLines);
        Assert.Equal(0, backend.Accepted);
    }
}
