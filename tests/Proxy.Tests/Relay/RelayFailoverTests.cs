using System.Net.Sockets;
using Proxy.Tests.Infrastructure;
using static Proxy.Tests.Infrastructure.ConnectRoutes;

namespace Proxy.Tests.Relay;

/// <summary>How the ingress's relay pool chooses, fails over and maps the egress's answers to CONNECT statuses; and
/// how the egress authenticates, applies its policy and counts tunnels.</summary>
public sealed class RelayFailoverTests
{
    [Fact]
    public async Task Egress_that_is_down_fails_over_to_the_next_one()
    {
        await using var backend = TcpBackend.Echo();
        using var refusing = TestClient.RefusingPort(out var dead);
        await using var nodes = await RelayNodes.StartAsync(new RelaySetup { Endpoints = egress => [Endpoint(dead), Endpoint(egress)] });

        for (var i = 0; i < 3; i++)
        {
            using var tunnel = await ConnectClient.OpenTunnelAsync(nodes.IngressPort, backend.Address);
            await tunnel.AssertEchoesAsync($"tunnel {i}");
        }

        await nodes.Ingress.Logs.WaitForAsync(e => e.Message.Contains($"target={nodes.ViaTarget(backend.Address)} ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Egress_that_fails_is_skipped_for_the_cool_down()
    {
        // A "broken egress" that accepts TCP and hangs up at once: the pool marks it down after one failure.
        await using var broken = new TcpBackend((socket, _) =>
        {
            socket.LingerState = new LingerOption(true, 0);
            return Task.CompletedTask;
        });
        await using var backend = TcpBackend.Echo();
        await using var nodes = await RelayNodes.StartAsync(new RelaySetup { Endpoints = egress => [Endpoint(broken.Port), Endpoint(egress)] });

        for (var i = 0; i < 4; i++)
        {
            using var tunnel = await ConnectClient.OpenTunnelAsync(nodes.IngressPort, backend.Address);
            await tunnel.AssertEchoesAsync($"tunnel {i}");
        }

        Assert.Equal(1, broken.Accepted);
        Assert.Equal(4, backend.Accepted);
    }

    [Fact]
    public async Task All_egresses_down_is_answered_502()
    {
        await using var backend = TcpBackend.Echo();
        using var refusing1 = TestClient.RefusingPort(out var dead1);
        using var refusing2 = TestClient.RefusingPort(out var dead2);
        await using var nodes = await RelayNodes.StartAsync(new RelaySetup { Endpoints = _ => [Endpoint(dead1), Endpoint(dead2)] });

        for (var i = 0; i < 2; i++)
        {
            var response = ProxyResponse.Parse(await ConnectClient.RefusedAsync(nodes.IngressPort, ConnectClient.Request(backend.Address)));

            Assert.Equal("HTTP/1.1 502 Bad Gateway", response.StatusLine);
            Assert.Equal("the destination could not be reached\n", response.Body);
        }

        await nodes.Ingress.Logs.WaitForConnectionAsync("ConnectFailed", RelayNodes.IngressRoute);
        Assert.Equal(0, backend.Accepted);
    }

    [Fact]
    public async Task Egress_answering_403_is_final_and_the_next_egress_is_not_asked()
    {
        await using var backend = TcpBackend.Echo();
        var otherPort = TestClient.FreePort();
        await using var other = await ProxyTestHost.StartAsync(Section([RelayRoute("other", otherPort, [.. Loopback])], users: false));
        // The first egress (tried first: round robin starts at the first endpoint) allows nothing.
        await using var nodes = await RelayNodes.StartAsync(new RelaySetup
        {
            EgressAllow = ["192.0.2.0/24:*"],
            Endpoints = egress => [Endpoint(egress), Endpoint(otherPort)],
        });

        var response = ProxyResponse.Parse(await ConnectClient.RefusedAsync(nodes.IngressPort, ConnectClient.Request(backend.Address)));

        Assert.Equal("HTTP/1.1 403 Forbidden", response.StatusLine);
        Assert.Equal("the destination is not allowed\n", response.Body);
        var refusal = await nodes.Egress.Logs.WaitForAsync(e => e.Message.StartsWith("Relay tunnel refused", StringComparison.Ordinal));
        Assert.Contains($"destination={backend.Address} status=403 error=forbidden", refusal.Message, StringComparison.Ordinal);
        await nodes.Ingress.Logs.WaitForConnectionAsync("Forbidden", RelayNodes.IngressRoute);
        Assert.DoesNotContain(other.Logs.Entries, e => e.Message.StartsWith("Relay tunnel", StringComparison.Ordinal));
        Assert.Equal(0, backend.Accepted);
    }

    [Fact]
    public async Task Egress_answering_refused_is_final_and_maps_to_502()
    {
        var otherPort = TestClient.FreePort();
        await using var other = await ProxyTestHost.StartAsync(Section([RelayRoute("other", otherPort, [.. Loopback])], users: false));
        await using var nodes = await RelayNodes.StartAsync(new RelaySetup { Endpoints = egress => [Endpoint(egress), Endpoint(otherPort)] });
        using var refusing = TestClient.RefusingPort(out var closedPort);
        var closed = $"127.0.0.1:{closedPort}";

        var response = ProxyResponse.Parse(await ConnectClient.RefusedAsync(nodes.IngressPort, ConnectClient.Request(closed)));

        Assert.Equal("HTTP/1.1 502 Bad Gateway", response.StatusLine);
        Assert.Equal("the destination refused the connection\n", response.Body);
        var refusal = await nodes.Egress.Logs.WaitForAsync(e => e.Message.StartsWith("Relay tunnel refused", StringComparison.Ordinal));
        Assert.Contains("status=502 error=refused", refusal.Message, StringComparison.Ordinal);
        await nodes.Ingress.Logs.WaitForConnectionAsync("TargetRefused", RelayNodes.IngressRoute);
        Assert.DoesNotContain(other.Logs.Entries, e => e.Message.StartsWith("Relay tunnel", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Egress_connect_timeout_maps_to_504()
    {
        using var blackhole = await BlackholeListener.StartAsync();
        Assert.True(blackhole.IsHanging, "This kernel answers a full accept queue; no loopback timeout to test against.");
        await using var nodes = await RelayNodes.StartAsync(new RelaySetup
        {
            EgressRoute = new() { ["Limits"] = new { ConnectTimeout = "00:00:01" } },
        });

        var response = ProxyResponse.Parse(await ConnectClient.RefusedAsync(nodes.IngressPort, ConnectClient.Request(blackhole.Address)));

        Assert.Equal("HTTP/1.1 504 Gateway Timeout", response.StatusLine);
        Assert.Equal("the destination did not answer in time\n", response.Body);
        var refusal = await nodes.Egress.Logs.WaitForAsync(e => e.Message.StartsWith("Relay tunnel refused", StringComparison.Ordinal));
        Assert.Contains("status=504 error=timeout", refusal.Message, StringComparison.Ordinal);
        await nodes.Ingress.Logs.WaitForConnectionAsync("TargetTimeout", RelayNodes.IngressRoute);
    }

    [Fact]
    public async Task Egress_refuses_a_permitted_name_that_resolves_to_loopback()
    {
        await using var backend = TcpBackend.Echo();
        await using var nodes = await RelayNodes.StartAsync(new RelaySetup
        {
            EgressAllow = ["localhost:*", "*:*"],
            IngressAction = new() { ["Destinations"] = new { Allow = new[] { "*:*", "127.0.0.1/32:*" } } }, // The egress decides.
        });

        foreach (var target in new[] { $"localhost:{backend.Port}", backend.Address })
        {
            var response = ProxyResponse.Parse(await ConnectClient.RefusedAsync(nodes.IngressPort, ConnectClient.Request(target)));

            Assert.Equal("HTTP/1.1 403 Forbidden", response.StatusLine);
        }

        // An inet_aton form never gets as far as an egress: the ingress refuses it as malformed.
        var shortForm = ProxyResponse.Parse(await ConnectClient.RefusedAsync(nodes.IngressPort, ConnectClient.Request($"127.1:{backend.Port}")));
        Assert.Equal("HTTP/1.1 400 Bad Request", shortForm.StatusLine);

        Assert.Equal(0, backend.Accepted);
        Assert.Equal(2, nodes.EgressTunnelLines.Count(e => e.Message.Contains("status=403 error=forbidden", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Bad_token_at_the_egress_is_answered_502_and_the_egress_logs_401()
    {
        await using var backend = TcpBackend.Echo();
        await using var nodes = await RelayNodes.StartAsync(new RelaySetup { Endpoints = egress => [Endpoint(egress, "not-the-token-0123456789")] });

        var response = ProxyResponse.Parse(await ConnectClient.RefusedAsync(nodes.IngressPort, ConnectClient.Request(backend.Address)));

        Assert.Equal("HTTP/1.1 502 Bad Gateway", response.StatusLine);
        var refusal = await nodes.Egress.Logs.WaitForAsync(e => e.Message.StartsWith("Relay tunnel refused", StringComparison.Ordinal));
        Assert.Contains("token=- ", refusal.Message, StringComparison.Ordinal);
        Assert.Contains("status=401 error=auth", refusal.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-token", string.Join('\n', nodes.Egress.Logs.Entries.Select(e => e.Message)), StringComparison.Ordinal);
        Assert.Equal(0, backend.Accepted);
    }

    [Fact]
    public async Task Bad_token_at_the_first_egress_fails_over_to_the_next()
    {
        await using var backend = TcpBackend.Echo();
        var otherPort = TestClient.FreePort();
        await using var other = await ProxyTestHost.StartAsync(Section(
            [RelayRoute("other", otherPort, [.. Loopback], action: new() { ["Tokens"] = new[] { new { Id = "other", Secret = "other-secret-0123456789" } } })],
            users: false));
        await using var nodes = await RelayNodes.StartAsync(new RelaySetup { Endpoints = egress => [Endpoint(otherPort), Endpoint(egress)] });

        using var tunnel = await ConnectClient.OpenTunnelAsync(nodes.IngressPort, backend.Address);
        await tunnel.AssertEchoesAsync("second egress");

        var refusal = await other.Logs.WaitForAsync(e => e.Message.StartsWith("Relay tunnel refused", StringComparison.Ordinal));
        Assert.Contains("status=401 error=auth", refusal.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("MaxTunnelsPerToken")]
    [InlineData("MaxTunnels")]
    public async Task Tunnel_limit_at_the_egress_refuses_the_next_tunnel_until_one_closes(string limit)
    {
        await using var backend = TcpBackend.Echo();
        await using var nodes = await RelayNodes.StartAsync(new RelaySetup { EgressAction = new() { [limit] = 1 } });

        using (var first = await ConnectClient.OpenTunnelAsync(nodes.IngressPort, backend.Address))
        {
            await first.AssertEchoesAsync("first");

            var response = ProxyResponse.Parse(await ConnectClient.RefusedAsync(nodes.IngressPort, ConnectClient.Request(backend.Address)));

            Assert.Equal("HTTP/1.1 502 Bad Gateway", response.StatusLine);
            var refusal = await nodes.Egress.Logs.WaitForAsync(e => e.Message.StartsWith("Relay tunnel refused", StringComparison.Ordinal));
            Assert.Contains($"token={TokenId} ", refusal.Message, StringComparison.Ordinal);
            Assert.Contains("status=503 error=limit", refusal.Message, StringComparison.Ordinal);
            await first.AssertEchoesAsync("first still works");
            first.Shutdown(SocketShutdown.Send);
            Assert.Equal(string.Empty, await first.ReadToEndTextAsync());
        }

        await nodes.Egress.Logs.WaitForAsync(e => e.Message.StartsWith("Relay tunnel route=", StringComparison.Ordinal));
        using var third = await ConnectClient.OpenTunnelAsync(nodes.IngressPort, backend.Address);
        await third.AssertEchoesAsync("a slot is free again");
    }
}
