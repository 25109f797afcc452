using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Proxy.ProxyProtocol;
using Proxy.Tests.Infrastructure;
using static Proxy.Tests.Infrastructure.TestRoutes;

namespace Proxy.Tests.ProxyProtocol;

/// <summary>PROXY protocol as users hit it: a load balancer in front of the proxy, and a backend behind it that wants one.</summary>
public sealed class ProxyProtocolEndToEndTests
{
    private static object Receiving(int port, string mode, string trusted, string target, object? acl = null) => new
    {
        Acl = acl,
        Ports = new Dictionary<string, object> { [Port(port)] = new { ProxyProtocol = new { Mode = mode, TrustedNetworks = new[] { trusted } } } },
        Routes = new[] { Forward("behind-lb", port, target) },
    };

    private static byte[] V2Header(string source, int sourcePort, int port)
    {
        var buffer = new byte[ProxyProtocolWriter.V2AddressHeaderLength];
        var length = ProxyProtocolWriter.WriteV2(buffer, new IPEndPoint(IPAddress.Parse(source), sourcePort), new IPEndPoint(IPAddress.Loopback, port));
        return buffer[..length];
    }

    [Fact]
    public async Task V1_header_from_a_trusted_peer_is_stripped_and_its_source_logged()
    {
        await using var backend = TcpBackend.Echo();
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Receiving(port, "Required", "127.0.0.1/32", backend.Address));

        using var client = await TestClient.ConnectAsync(port);
        await client.SendAsync($"PROXY TCP4 203.0.113.7 127.0.0.1 5555 {port}\r\nhello");
        client.Shutdown(SocketShutdown.Send);

        Assert.Equal("hello", await client.ReadToEndTextAsync());
        var summary = await proxy.Logs.WaitForConnectionAsync("Completed", "behind-lb");
        Assert.Contains("client=203.0.113.7:5555 via=127.0.0.1:", summary.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task V2_header_split_from_its_payload_is_stripped()
    {
        await using var backend = TcpBackend.Echo();
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Receiving(port, "Required", "127.0.0.0/8", backend.Address));

        using var client = await TestClient.ConnectAsync(port);
        foreach (var b in V2Header("2001:db8::7", 4444, port))
        {
            await client.SendAsync(new ReadOnlyMemory<byte>([b]), SocketFlags.None);
        }

        await client.SendAsync("payload");
        client.Shutdown(SocketShutdown.Send);

        Assert.Equal("payload", await client.ReadToEndTextAsync());
        var summary = await proxy.Logs.WaitForConnectionAsync("Completed", "behind-lb");
        Assert.Contains("client=[2001:db8::7]:4444", summary.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Acl_applies_to_the_address_the_header_carries()
    {
        await using var backend = TcpBackend.Echo();
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(
            Receiving(port, "Required", "127.0.0.1/32", backend.Address, new { Deny = new[] { "203.0.113.0/24" } }));

        using (var denied = await TestClient.ConnectAsync(port))
        {
            await denied.SendAsync(V2Header("203.0.113.9", 1000, port), SocketFlags.None);
            Assert.True(await denied.IsClosedByPeerAsync());
        }

        await proxy.Logs.WaitForConnectionAsync("Acl");
        using var allowed = await TestClient.ConnectAsync(port);
        await allowed.SendAsync($"PROXY TCP4 198.51.100.1 127.0.0.1 1000 {port}\r\nok");
        allowed.Shutdown(SocketShutdown.Send);
        Assert.Equal("ok", await allowed.ReadToEndTextAsync());
    }

    [Fact]
    public async Task Untrusted_peer_is_refused_when_the_header_is_required()
    {
        await using var backend = TcpBackend.Echo();
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Receiving(port, "Required", "10.0.0.0/8", backend.Address));

        using var client = await TestClient.ConnectAsync(port);
        await client.SendAsync($"PROXY TCP4 203.0.113.7 127.0.0.1 5555 {port}\r\nhello");

        Assert.True(await client.IsClosedByPeerAsync());
        await proxy.Logs.WaitForConnectionAsync("ProxyProtocolUntrusted");
        Assert.Equal(0, backend.Accepted);
    }

    [Fact]
    public async Task Missing_or_malformed_header_is_refused_and_other_connections_carry_on()
    {
        await using var backend = TcpBackend.Echo();
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Receiving(port, "Required", "127.0.0.1/32", backend.Address));
        using var good = await TestClient.ConnectAsync(port);
        await good.SendAsync($"PROXY TCP4 198.51.100.1 127.0.0.1 1000 {port}\r\n");

        using (var missing = await TestClient.ConnectAsync(port))
        {
            await missing.SendAsync("GET / HTTP/1.1\r\n\r\n");
            Assert.True(await missing.IsClosedByPeerAsync());
        }

        using (var malformed = await TestClient.ConnectAsync(port))
        {
            await malformed.SendAsync("PROXY TCP4 999.1.1.1 127.0.0.1 1 2\r\n");
            Assert.True(await malformed.IsClosedByPeerAsync());
        }

        using (var truncated = await TestClient.ConnectAsync(port))
        {
            await truncated.SendAsync("PROXY TCP4 198.51");
            truncated.Shutdown(SocketShutdown.Send);
            Assert.True(await truncated.IsClosedByPeerAsync());
        }

        await proxy.Logs.WaitForConnectionAsync("ProxyProtocolMissing");
        await proxy.Logs.WaitForConnectionAsync("ProxyProtocolInvalid");
        await good.SendAsync("still fine");
        good.Shutdown(SocketShutdown.Send);
        Assert.Equal("still fine", await good.ReadToEndTextAsync());
    }

    [Fact]
    public async Task Optional_mode_accepts_connections_without_a_header()
    {
        await using var backend = TcpBackend.Echo();
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Receiving(port, "Optional", "127.0.0.1/32", backend.Address));

        using var client = await TestClient.ConnectAsync(port);
        await client.SendAsync("no header");
        client.Shutdown(SocketShutdown.Send);

        Assert.Equal("no header", await client.ReadToEndTextAsync());
    }

    [Theory]
    [InlineData("V1")]
    [InlineData("V2")]
    public async Task Header_sent_to_the_target_carries_the_real_client(string version)
    {
        var parsed = new TaskCompletionSource<(ProxyHeader Header, string Payload)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = new TcpBackend(async (socket, _) =>
        {
            var bytes = await socket.ReadToEndAsync();
            var status = ProxyProtocolReader.TryParse(new ReadOnlySequence<byte>(bytes), 4096, out var header);
            Assert.Equal(ProxyHeaderParseStatus.Complete, status);
            parsed.SetResult((header, Encoding.ASCII.GetString(bytes, header.Length, bytes.Length - header.Length)));
        });
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(new
        {
            Routes = new[]
            {
                new
                {
                    Id = "pp-out",
                    Match = new { Ports = new[] { Port(port) } },
                    Action = new { Type = "Forward", Targets = new[] { backend.Address }, ProxyProtocol = version },
                },
            },
        });

        using var client = await TestClient.ConnectAsync(port);
        await client.SendAsync("data after the header");
        client.Shutdown(SocketShutdown.Send);

        var (received, rest) = await parsed.Task.WaitAsync(TestTimeouts.Io);
        Assert.Equal(version == "V1" ? 1 : 2, received.Version);
        Assert.Equal(client.LocalEndPoint, received.Source);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, port), received.Destination);
        Assert.Equal("data after the header", rest);
    }
}
