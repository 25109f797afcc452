using System.Net.WebSockets;
using System.Text;
using Proxy.Tests.Infrastructure;
using static Proxy.Tests.Http.HttpRoutes;

namespace Proxy.Tests.Http;

/// <summary>WebSocket upgrades through HTTP routes, plain and TLS-terminated, to a real ASP.NET Core echo endpoint.</summary>
public sealed class WebSocketTests
{
    [Fact]
    public async Task WebSocket_echo_works_through_a_plain_http_route()
    {
        await using var backend = await HttpBackend.StartAsync("ws");
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Section([HttpRoute("ws", port, backend.Url).Match("Path", "/ws")]));

        using var socket = new ClientWebSocket();
        using var timeout = new CancellationTokenSource(TestTimeouts.Io);
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/ws"), timeout.Token);

        await AssertEchoAndCloseAsync(socket, timeout.Token);
    }

    [Fact]
    public async Task WebSocket_echo_works_through_a_tls_terminated_route()
    {
        await using var backend = await HttpBackend.StartAsync("ws");
        using var certificate = TestCertificates.Create("*.example.test");
        using var files = new CertificateFiles();
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Section(
            [HttpRoute("wss", port, backend.Url).Match("Domains", new[] { "*.example.test" }).Terminate("wildcard")],
            new() { ["wildcard"] = files.Pem("wildcard", certificate) }));

        using var client = new LoopbackHttpClient(port);
        using var invoker = new HttpMessageInvoker(client.Handler, disposeHandler: false);
        using var socket = new ClientWebSocket();
        using var timeout = new CancellationTokenSource(TestTimeouts.Io);
        await socket.ConnectAsync(new Uri($"wss://live.example.test:{port}/ws"), invoker, timeout.Token);

        Assert.Equal([certificate.Thumbprint], client.ServerThumbprints);
        await AssertEchoAndCloseAsync(socket, timeout.Token);
    }

    private static async Task AssertEchoAndCloseAsync(ClientWebSocket socket, CancellationToken cancellationToken)
    {
        foreach (var text in new[] { "hello through the proxy", "and a second message" })
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
            Assert.Equal(text, await ReceiveTextAsync(socket, cancellationToken));
        }

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", cancellationToken);
        Assert.Equal(WebSocketState.Closed, socket.State);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, socket.CloseStatus);
    }

    private static async Task<string> ReceiveTextAsync(ClientWebSocket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        var message = new MemoryStream();
        ValueWebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer.AsMemory(), cancellationToken);
            Assert.Equal(WebSocketMessageType.Text, result.MessageType);
            message.Write(buffer, 0, result.Count);
        }
        while (!result.EndOfMessage);

        return Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)message.Length);
    }
}
