using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Proxy.Tests.Infrastructure;
using static Proxy.Tests.Infrastructure.ConnectRoutes;

namespace Proxy.Tests.Connect;

/// <summary>The Connect action used as a forward proxy, directly (no relay): real curl, eager bytes after the head, a
/// head in pieces, every host form, anonymous loopback access.</summary>
public sealed class ConnectTunnelTests
{
    [Fact]
    public async Task Curl_reaches_an_https_server_by_name_through_the_proxy()
    {
        using var certificate = TestCertificates.Create("localhost");
        await using var backend = await HttpBackend.StartAsync("secure", certificate);
        var backendPort = new Uri(backend.Url).Port;
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Section([ConnectRoute("connect", port, [.. Loopback])]));

        var result = await CurlClient.RunAsync(
            ["-sS", "-x", $"http://127.0.0.1:{port}", "--proxy-user", $"{User}:{Password}", $"https://localhost:{backendPort}/hello?x=1", "-k"]);

        AssertEcho(result, "secure", $"localhost:{backendPort}");
        var summary = await proxy.Logs.WaitForAsync(e => e.Message.StartsWith("Connection ", StringComparison.Ordinal)
            && e.Message.Contains(" route=connect ", StringComparison.Ordinal));
        Assert.Contains($"target=localhost:{backendPort} ", summary.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("in=0 ", summary.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Curl_takes_the_proxy_and_its_credentials_from_https_proxy()
    {
        using var certificate = TestCertificates.Create("localhost");
        await using var backend = await HttpBackend.StartAsync("env", certificate);
        var backendPort = new Uri(backend.Url).Port;
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Section([ConnectRoute("connect", port, [.. Loopback])]));

        var result = await CurlClient.RunAsync(
            ["-sS", "-k", $"https://localhost:{backendPort}/"],
            new Dictionary<string, string> { ["https_proxy"] = $"http://{User}:{Password}@127.0.0.1:{port}" });

        AssertEcho(result, "env", $"localhost:{backendPort}");
        await proxy.Logs.WaitForAsync(e => e.Message.StartsWith("Connection ", StringComparison.Ordinal)
            && e.Message.Contains(" route=connect ", StringComparison.Ordinal) && e.Message.Contains($"target=localhost:{backendPort} ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Curl_that_asks_without_credentials_first_retries_with_basic_after_the_407_challenge()
    {
        using var certificate = TestCertificates.Create("localhost");
        await using var backend = await HttpBackend.StartAsync("anyauth", certificate);
        var backendPort = new Uri(backend.Url).Port;
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Section([ConnectRoute("connect", port, [.. Loopback])]));

        // --proxy-anyauth: curl sends no credentials, reads Proxy-Authenticate from the 407, then retries with Basic.
        var result = await CurlClient.RunAsync(
            ["-sS", "-v", "-k", "--proxy-anyauth", "-x", $"http://127.0.0.1:{port}", "--proxy-user", $"{User}:{Password}", $"https://localhost:{backendPort}/"]);

        AssertEcho(result, "anyauth", $"localhost:{backendPort}");
        Assert.Contains("407", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("Proxy-Authorization: Basic", result.Stderr, StringComparison.Ordinal);
        await proxy.Logs.WaitForConnectionAsync("AuthFailed", "connect");
    }

    [Fact]
    public async Task Curl_with_a_wrong_password_reports_the_407()
    {
        using var certificate = TestCertificates.Create("localhost");
        await using var backend = await HttpBackend.StartAsync("never", certificate);
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Section([ConnectRoute("connect", port, [.. Loopback])]));

        var result = await CurlClient.RunAsync(
            ["-sS", "-k", "-x", $"http://127.0.0.1:{port}", "--proxy-user", $"{User}:wrong", $"https://localhost:{new Uri(backend.Url).Port}/"]);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("407", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, backend.Requests);
    }

    [Fact]
    public async Task Tls_client_hello_sent_in_the_same_packet_as_the_head_reaches_the_destination_unchanged()
    {
        await using var backend = new TlsBackend("eager", "localhost");
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Section([ConnectRoute("connect", port, [.. Loopback])]));

        using var socket = await TestClient.ConnectAsync(port);
        var eager = new EagerConnectStream(new NetworkStream(socket, ownsSocket: false), ConnectClient.Request(backend.Address));
        await using var tls = new SslStream(eager, leaveInnerStreamOpen: false);
        using var timeout = new CancellationTokenSource(TestTimeouts.Io);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate?.GetCertHashString() == backend.Certificate.Thumbprint,
        }, timeout.Token);

        // The head and the whole ClientHello (a TLS handshake record, 0x16) went out in one send.
        Assert.Equal(0x16, eager.FirstSend![ConnectClient.Request(backend.Address).Length]);
        Assert.Equal(ConnectClient.Established, eager.ResponseHead);
        Assert.Equal(backend.Greeting, await ReadLineAsync(tls, timeout.Token));
        await tls.WriteAsync("over tls\n"u8.ToArray(), timeout.Token);
        Assert.Equal("over tls\n", await ReadLineAsync(tls, timeout.Token));
        Assert.Equal(["localhost"], backend.ServerNames);
    }

    [Fact]
    public async Task Bytes_sent_with_the_head_arrive_after_the_200_in_order()
    {
        await using var backend = TcpBackend.Echo();
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Section([ConnectRoute("connect", port, [.. Loopback])]));
        const string Eager = "GET / HTTP/1.1\r\nHost: tunnelled\r\n\r\nand more";

        using var socket = await TestClient.ConnectAsync(port);
        await socket.SendAsync(ConnectClient.Request(backend.Address) + Eager);

        Assert.Equal(ConnectClient.Established, await ConnectClient.ReadHeadAsync(socket));
        Assert.Equal(Eager, await socket.ReadTextAsync(Eager.Length));
        socket.Shutdown(SocketShutdown.Send);
        Assert.Equal(string.Empty, await socket.ReadToEndTextAsync());
        var summary = await proxy.Logs.WaitForConnectionAsync("Completed", "connect");
        Assert.Contains($"in={Eager.Length} out={Eager.Length} ", summary.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Head_written_one_byte_at_a_time_is_accepted()
    {
        await using var backend = TcpBackend.Echo();
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Section([ConnectRoute("connect", port, [.. Loopback])]));

        using var socket = await TestClient.ConnectAsync(port);
        foreach (var b in Encoding.ASCII.GetBytes(ConnectClient.Request(backend.Address)))
        {
            await socket.SendAsync(new[] { b }, SocketFlags.None);
            await Task.Delay(1);
        }

        Assert.Equal(ConnectClient.Established, await ConnectClient.ReadHeadAsync(socket));
        await socket.AssertEchoesAsync("after a slow head");
    }

    [Fact]
    public async Task Server_speaks_first_destination_is_heard_right_after_the_200()
    {
        await using var backend = TcpBackend.Greeting("220 ready\r\n");
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Section([ConnectRoute("connect", port, [.. Loopback])]));

        var (socket, head) = await ConnectClient.OpenAsync(port, backend.Address);
        using (socket)
        {
            Assert.Equal(ConnectClient.Established, head);
            Assert.Equal("220 ready\r\n", await socket.ReadTextAsync(11)); // Nothing HTTP between the 200 and the destination's bytes.
        }
    }

    [Fact]
    public async Task Ipv6_literal_destination_in_brackets_is_tunnelled_when_allowed()
    {
        await using var backend = new TcpBackend(async (socket, ct) =>
        {
            var buffer = new byte[1024];
            int read;
            while ((read = await socket.ReceiveAsync(buffer, ct)) > 0)
            {
                await socket.SendAsync(buffer.AsMemory(0, read), ct);
            }
        }, IPAddress.IPv6Loopback);
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Section([ConnectRoute("connect", port, ["[::1]:*"])]));

        using var tunnel = await ConnectClient.OpenTunnelAsync(port, $"[::1]:{backend.Port}");
        await tunnel.AssertEchoesAsync("over ipv6");
    }

    [Fact]
    public async Task Anonymous_access_on_a_loopback_only_route_needs_no_credentials()
    {
        await using var backend = TcpBackend.Echo();
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Section(
            [ConnectRoute("anon", port, [.. Loopback], action: new() { ["AllowAnonymous"] = true }, route: new() { ["Acl"] = new { Allow = new[] { "127.0.0.0/8" } } })],
            users: false));

        var (socket, head) = await ConnectClient.OpenAsync(port, backend.Address, user: null);
        using (socket)
        {
            Assert.Equal(ConnectClient.Established, head);
            await socket.AssertEchoesAsync("anonymous");
        }
    }

    [Fact]
    public async Task Destination_half_close_reaches_the_client_and_the_client_can_still_send()
    {
        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = new TcpBackend(async (socket, ct) =>
        {
            await socket.SendAsync("bye, then FIN"u8.ToArray(), ct);
            socket.Shutdown(SocketShutdown.Send);
            received.SetResult(await socket.ReadToEndTextAsync());
        });
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Section([ConnectRoute("connect", port, [.. Loopback])]));

        using var tunnel = await ConnectClient.OpenTunnelAsync(port, backend.Address);
        Assert.Equal("bye, then FIN", await tunnel.ReadToEndTextAsync());
        await tunnel.SendAsync("still talking");
        tunnel.Shutdown(SocketShutdown.Send);

        Assert.Equal("still talking", await received.Task.WaitAsync(TestTimeouts.Io));
        await proxy.Logs.WaitForConnectionAsync("Completed", "connect");
    }

    private static void AssertEcho(CurlResult result, string backend, string host)
    {
        Assert.True(result.ExitCode == 0, result.ToString());
        var echo = JsonSerializer.Deserialize<BackendEcho>(result.Stdout, JsonSerializerOptions.Web);
        Assert.NotNull(echo);
        Assert.Equal((backend, "GET", host), (echo.Backend, echo.Method, echo.Host));
    }

    private static async Task<string> ReadLineAsync(Stream stream, CancellationToken cancellationToken)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (!line.ToString().EndsWith('\n'))
        {
            if (await stream.ReadAsync(one, cancellationToken) == 0)
            {
                break;
            }

            line.Append((char)one[0]);
        }

        return line.ToString();
    }

    /// <summary>Makes a TLS client speak through a CONNECT proxy the eager way: its first write (the ClientHello) goes
    /// out in the same send as the CONNECT head, and the proxy's response head is read off before the ServerHello.</summary>
    private sealed class EagerConnectStream(Stream inner, string connectHead) : WrappingStream(inner)
    {
        private byte[]? _head = Encoding.ASCII.GetBytes(connectHead);
        private bool _responseRead;

        /// <summary>The bytes of the first send: the CONNECT head followed by the ClientHello.</summary>
        public byte[]? FirstSend { get; private set; }

        public string? ResponseHead { get; private set; }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_head is { } head)
            {
                _head = null;
                FirstSend = [.. head, .. buffer.Span];
                await Inner.WriteAsync(FirstSend, cancellationToken);
                return;
            }

            await Inner.WriteAsync(buffer, cancellationToken);
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (!_responseRead)
            {
                _responseRead = true;
                var head = new StringBuilder();
                var one = new byte[1];
                while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal) && await Inner.ReadAsync(one, cancellationToken) == 1)
                {
                    head.Append((char)one[0]);
                }

                ResponseHead = head.ToString();
            }

            return await Inner.ReadAsync(buffer, cancellationToken);
        }
    }
}
