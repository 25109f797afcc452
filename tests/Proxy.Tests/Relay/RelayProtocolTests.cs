using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using Proxy.Tests.Infrastructure;
using static Proxy.Tests.Infrastructure.ConnectRoutes;

namespace Proxy.Tests.Relay;

/// <summary>The egress's side of the relay protocol (<c>relay.v1</c>) spoken by a plain <see cref="ClientWebSocket"/>:
/// refusals are the upgrade's status plus <c>X-Relay-Error</c>; after the upgrade, binary messages of at most 64 KiB,
/// <c>fin</c> for a half-close, and close codes.</summary>
public sealed class RelayProtocolTests
{
    private const string SubProtocol = "relay.v1";
    private const int MaxMessage = 64 * 1024;

    [Fact]
    public async Task Refusals_are_the_upgrade_status_with_an_error_code()
    {
        await using var backend = TcpBackend.Echo();
        var port = TestClient.FreePort();
        await using var egress = await ProxyTestHost.StartAsync(Section(
            [RelayRoute("relay", port, [], action: new() { ["Destinations"] = new { Allow = new[] { "127.0.0.1/32:*", "*.invalid:*" }, Deny = new[] { $"127.0.0.1/32:{backend.Port}" } } })],
            users: false));
        using var refusing = TestClient.RefusingPort(out var closedPort);
        var closed = $"127.0.0.1:{closedPort}";

        Assert.Equal((HttpStatusCode.BadRequest, "protocol"), await RefusedAsync(port, Token, closed, subProtocol: false));
        Assert.Equal((HttpStatusCode.Unauthorized, "auth"), await RefusedAsync(port, null, closed));
        Assert.Equal((HttpStatusCode.Unauthorized, "auth"), await RefusedAsync(port, "wrong-token-0123456789abcdef", closed));
        Assert.Equal((HttpStatusCode.BadRequest, "destination"), await RefusedAsync(port, Token, null));
        Assert.Equal((HttpStatusCode.BadRequest, "destination"), await RefusedAsync(port, Token, "127.0.0.1"));
        Assert.Equal((HttpStatusCode.Forbidden, "forbidden"), await RefusedAsync(port, Token, backend.Address));
        Assert.Equal((HttpStatusCode.Forbidden, "forbidden"), await RefusedAsync(port, Token, "192.0.2.1:443"));
        Assert.Equal((HttpStatusCode.BadGateway, "refused"), await RefusedAsync(port, Token, closed));
        Assert.Equal((HttpStatusCode.BadGateway, "dns"), await RefusedAsync(port, Token, "no-such-host.invalid:443"));
        Assert.Equal(0, backend.Accepted);
    }

    [Fact]
    public async Task Unauthorized_upgrade_carries_a_bearer_challenge()
    {
        var port = TestClient.FreePort();
        await using var egress = await ProxyTestHost.StartAsync(Section([RelayRoute("relay", port, [.. Loopback])], users: false));
        using var socket = NewSocket("wrong-token-0123456789abcdef", "127.0.0.1:1");

        await Assert.ThrowsAsync<WebSocketException>(() => ConnectAsync(socket, port));

        Assert.Equal(HttpStatusCode.Unauthorized, socket.HttpStatusCode);
        Assert.Equal("Bearer", Assert.Single(socket.HttpResponseHeaders!["WWW-Authenticate"]));
    }

    [Fact]
    public async Task Plain_http_request_to_the_relay_path_is_refused()
    {
        var port = TestClient.FreePort();
        await using var egress = await ProxyTestHost.StartAsync(Section([RelayRoute("relay", port, [.. Loopback])], users: false));
        using var client = new HttpClient();

        using var response = await client.GetAsync(new Uri(RelayUrl(port).Replace("ws://", "http://", StringComparison.Ordinal)));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("protocol", Assert.Single(response.Headers.GetValues("X-Relay-Error")));
    }

    [Fact]
    public async Task Tunnel_carries_binary_messages_of_at_most_64_KiB_then_fin_then_a_normal_close()
    {
        var payload = new byte[1024 * 1024];
        new Random(7).NextBytes(payload);
        var received = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = new TcpBackend(async (socket, ct) =>
        {
            await socket.SendAsync(payload, SocketFlags.None, ct);
            socket.Shutdown(SocketShutdown.Send);
            received.SetResult(await socket.ReadToEndAsync());
        });
        var port = TestClient.FreePort();
        await using var egress = await ProxyTestHost.StartAsync(Section([RelayRoute("relay", port, [.. Loopback])], users: false));
        using var socket = NewSocket(Token, backend.Address);
        await ConnectAsync(socket, port);
        Assert.Equal(SubProtocol, socket.SubProtocol);
        using var timeout = new CancellationTokenSource(TestTimeouts.Io);

        var data = new MemoryStream();
        var buffer = new byte[4 * MaxMessage];
        while (true)
        {
            var (type, length) = await ReceiveMessageAsync(socket, buffer, timeout.Token);
            if (type == WebSocketMessageType.Text)
            {
                Assert.Equal("fin"u8.ToArray(), buffer[..length]);
                break;
            }

            Assert.Equal(WebSocketMessageType.Binary, type);
            Assert.InRange(length, 1, MaxMessage);
            data.Write(buffer, 0, length);
        }

        Assert.Equal(payload, data.ToArray());
        await socket.SendAsync("from the ingress"u8.ToArray(), WebSocketMessageType.Binary, endOfMessage: true, timeout.Token);
        await socket.SendAsync("fin"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
        Assert.Equal("from the ingress"u8.ToArray(), await received.Task.WaitAsync(TestTimeouts.Io));

        var (closeType, _) = await ReceiveMessageAsync(socket, buffer, timeout.Token);
        Assert.Equal(WebSocketMessageType.Close, closeType);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, socket.CloseStatus);
        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
        var line = await egress.Logs.WaitForAsync(e => e.Message.StartsWith("Relay tunnel route=", StringComparison.Ordinal));
        Assert.Contains($"in=16 out={payload.Length} ", line.Message, StringComparison.Ordinal);
        Assert.Contains(" end=Completed", line.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Idle_timeout_ends_the_tunnel_with_the_policy_close_code()
    {
        await using var backend = TcpBackend.Echo();
        var port = TestClient.FreePort();
        await using var egress = await ProxyTestHost.StartAsync(Section(
            [RelayRoute("relay", port, [.. Loopback], route: new() { ["Limits"] = new { IdleTimeout = "00:00:01" } })], users: false));
        using var socket = NewSocket(Token, backend.Address);
        await ConnectAsync(socket, port);
        using var timeout = new CancellationTokenSource(TestTimeouts.Io);

        var (type, _) = await ReceiveMessageAsync(socket, new byte[MaxMessage], timeout.Token);

        Assert.Equal(WebSocketMessageType.Close, type);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, socket.CloseStatus);
        var line = await egress.Logs.WaitForAsync(e => e.Message.StartsWith("Relay tunnel route=", StringComparison.Ordinal));
        Assert.Contains(" end=IdleTimeout", line.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Destination_reset_ends_the_tunnel_with_the_error_close_code()
    {
        await using var backend = new TcpBackend(async (socket, ct) =>
        {
            await socket.ReceiveAsync(new byte[16], ct);
            socket.LingerState = new LingerOption(true, 0); // Disposing now sends RST.
        });
        var port = TestClient.FreePort();
        await using var egress = await ProxyTestHost.StartAsync(Section([RelayRoute("relay", port, [.. Loopback])], users: false));
        using var socket = NewSocket(Token, backend.Address);
        await ConnectAsync(socket, port);
        using var timeout = new CancellationTokenSource(TestTimeouts.Io);

        await socket.SendAsync("x"u8.ToArray(), WebSocketMessageType.Binary, endOfMessage: true, timeout.Token);
        var (type, _) = await ReceiveMessageAsync(socket, new byte[MaxMessage], timeout.Token);

        Assert.Equal(WebSocketMessageType.Close, type);
        Assert.Equal(WebSocketCloseStatus.InternalServerError, socket.CloseStatus);
    }

    private static ClientWebSocket NewSocket(string? token, string? destination, bool subProtocol = true)
    {
        var socket = new ClientWebSocket();
        if (subProtocol)
        {
            socket.Options.AddSubProtocol(SubProtocol);
        }

        if (token is not null)
        {
            socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
        }

        if (destination is not null)
        {
            socket.Options.SetRequestHeader("X-Relay-Destination", destination);
        }

        socket.Options.CollectHttpResponseDetails = true;
        return socket;
    }

    private static async Task ConnectAsync(ClientWebSocket socket, int port)
    {
        using var timeout = new CancellationTokenSource(TestTimeouts.Io);
        await socket.ConnectAsync(new Uri(RelayUrl(port)), timeout.Token);
    }

    private static async Task<(HttpStatusCode? Status, string? Error)> RefusedAsync(int port, string? token, string? destination, bool subProtocol = true)
    {
        using var socket = NewSocket(token, destination, subProtocol);
        await Assert.ThrowsAsync<WebSocketException>(() => ConnectAsync(socket, port));
        var error = socket.HttpResponseHeaders?.TryGetValue("X-Relay-Error", out var values) == true ? values.Single() : null;
        return (socket.HttpStatusCode, error);
    }

    /// <summary>Receives one whole message into <paramref name="buffer"/>; a close is returned as such.</summary>
    private static async Task<(WebSocketMessageType Type, int Length)> ReceiveMessageAsync(WebSocket socket, byte[] buffer, CancellationToken cancellationToken)
    {
        var length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                throw new InvalidDataException($"A message longer than {buffer.Length} bytes.");
            }

            var result = await socket.ReceiveAsync(buffer.AsMemory(length), cancellationToken);
            length += result.Count;
            if (result.EndOfMessage || result.MessageType == WebSocketMessageType.Close)
            {
                return (result.MessageType, length);
            }
        }
    }
}
