using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Proxy.Tests.Infrastructure;

namespace Proxy.Tests.Socks;

/// <summary>The Socks5 action on the wire, with a raw-socket client against the real proxy on real Kestrel: method
/// negotiation, RFC 1929 authentication, every reply code, bound addresses, split and pipelined handshakes, the
/// handshake deadline, concurrency, the relay, and the one log line per session.</summary>
public sealed class SocksProtocolTests
{
    private const string Route = "socks";

    private static Task<ProxyTestHost> StartAsync(int port, string[]? allow = null, string? connectTimeout = null)
        => ProxyTestHost.StartAsync(SocksConfig.Section([SocksConfig.Socks5(Route, port, allow ?? SocksConfig.Loopback, connectTimeout: connectTimeout)]));

    /// <summary>An echo backend that records the address each connection came from (the proxy's side of the dial).</summary>
    private static TcpBackend RecordingEcho(ConcurrentQueue<IPEndPoint> peers, IPAddress? address = null) => new(async (socket, ct) =>
    {
        peers.Enqueue((IPEndPoint)socket.RemoteEndPoint!);
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, ct)) > 0)
        {
            await socket.SendAsync(buffer.AsMemory(0, read), ct);
        }

        socket.Shutdown(SocketShutdown.Send);
    }, address);

    private static async Task FinishEchoAsync(Socket socket, string payload)
    {
        await socket.AssertEchoesAsync(payload);
        socket.Shutdown(SocketShutdown.Send);
        Assert.True(await socket.IsClosedByPeerAsync());
    }

    // ---- Reply 00 and the bound address -------------------------------------------------------------------------

    [Fact]
    public async Task Connect_to_an_ipv4_literal_replies_00_with_the_ipv4_address_and_port_the_proxy_dialed_from()
    {
        var peers = new ConcurrentQueue<IPEndPoint>();
        await using var backend = RecordingEcho(peers);
        var port = TestClient.FreePort();
        await using var proxy = await StartAsync(port);

        var (socket, reply) = await SocksWire.OpenAsync(port, SocksWire.Connect(IPAddress.Loopback, backend.Port));
        using (socket)
        {
            Assert.Equal(0x05, reply.Version);
            Assert.Equal(0x00, reply.Code);
            Assert.Equal(0x00, reply.Reserved);
            Assert.Equal(0x01, reply.AddressType);
            Assert.Equal(IPAddress.Loopback, reply.BoundAddress);
            Assert.NotEqual(0, reply.Port);
            await FinishEchoAsync(socket, "hello socks");

            var dialedFrom = Assert.Single(peers);
            Assert.Equal(dialedFrom.Port, reply.Port);
            var client = (IPEndPoint)socket.LocalEndPoint!;
            await proxy.WaitForSessionAsync(Route, $"client={client}", $"target=127.0.0.1:{backend.Port}", "in=11", "out=11",
                "end=Completed", "user=u", "ms=*");
        }
    }

    [Fact]
    public async Task Connect_to_a_domain_is_resolved_by_the_proxy_and_replies_00_with_an_ipv4_bound_address()
    {
        await using var backend = TcpBackend.Echo();
        var port = TestClient.FreePort();
        await using var proxy = await StartAsync(port);

        var (socket, reply) = await SocksWire.OpenAsync(port, SocksWire.Connect("localhost", backend.Port));
        using (socket)
        {
            Assert.Equal(0x00, reply.Code);
            Assert.Equal(0x01, reply.AddressType);
            Assert.Equal(IPAddress.Loopback, reply.BoundAddress);
            Assert.NotEqual(0, reply.Port);
            await FinishEchoAsync(socket, "by name");
        }

        await proxy.WaitForSessionAsync(Route, $"target=localhost:{backend.Port}", "end=Completed", "user=u");
    }

    [Fact]
    public async Task Connect_to_an_ipv6_literal_on_a_dual_stack_listener_replies_00_with_an_ipv6_bound_address()
    {
        var peers = new ConcurrentQueue<IPEndPoint>();
        await using var backend = RecordingEcho(peers, IPAddress.IPv6Loopback);
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(
            SocksConfig.Section([SocksConfig.Socks5(Route, port, SocksConfig.Loopback)], bindAddress: "::"));

        // An IPv6 client, then an IPv4 client of the same dual-stack listener, both to [::1].
        foreach (var proxyAddress in new[] { IPAddress.IPv6Loopback, IPAddress.Loopback })
        {
            var (socket, reply) = await SocksWire.OpenAsync(port, SocksWire.Connect(IPAddress.IPv6Loopback, backend.Port), proxyAddress);
            using (socket)
            {
                Assert.Equal(0x00, reply.Code);
                Assert.Equal(0x04, reply.AddressType);
                Assert.Equal(16, reply.Address.Length);
                Assert.Equal(IPAddress.IPv6Loopback, reply.BoundAddress);
                Assert.NotEqual(0, reply.Port);
                await FinishEchoAsync(socket, $"over v6 from {proxyAddress.AddressFamily}");
                Assert.Contains(peers, p => p.Port == reply.Port);
            }
        }

        await proxy.WaitForSessionAsync(Route, "client=[::1]:*", "end=Completed", "user=u");
        await proxy.WaitForSessionAsync(Route, "client=[::ffff:127.0.0.1]:*", "end=Completed", "user=u");
    }

    [Fact]
    public async Task Ipv6_destination_is_logged_in_brackets_like_the_request_names_it()
    {
        await using var backend = SocksWire.EchoOn(IPAddress.IPv6Loopback);
        var port = TestClient.FreePort();
        await using var proxy = await StartAsync(port);

        var (socket, reply) = await SocksWire.OpenAsync(port, SocksWire.Connect(IPAddress.IPv6Loopback, backend.Port));
        using (socket)
        {
            Assert.Equal(0x00, reply.Code);
            await FinishEchoAsync(socket, "v6");
        }

        // "::1:port" would be ambiguous; the request's own form (and the relay's) is "[::1]:port".
        var line = await proxy.WaitForSessionAsync(Route, "end=Completed");
        Assert.True(SocksWire.HasField(line.Message, $"target=[::1]:{backend.Port}"), line.Message);
    }

    [Fact]
    public async Task Successful_session_logs_reply_00()
    {
        await using var backend = TcpBackend.Echo();
        var port = TestClient.FreePort();
        await using var proxy = await StartAsync(port);

        var (socket, reply) = await SocksWire.OpenAsync(port, SocksWire.Connect(IPAddress.Loopback, backend.Port));
        using (socket)
        {
            Assert.Equal(0x00, reply.Code);
            await FinishEchoAsync(socket, "logged");
        }

        var line = await proxy.WaitForSessionAsync(Route, "end=Completed");
        Assert.True(SocksWire.HasField(line.Message, "user=u") && SocksWire.HasField(line.Message, "reply=00"), line.Message);
    }

    // ---- Failure replies ---------------------------------------------------------------------------------------

    [Fact]
    public async Task Destination_outside_the_policy_replies_02_without_dialing_or_resolving()
    {
        await using var backend = TcpBackend.Echo();
        var port = TestClient.FreePort();
        await using var proxy = await StartAsync(port, ["127.0.0.1/32:" + SocksConfig.Port(backend.Port)]);

        // Another loopback address (special, not named), an allowed address on another port, and a name not listed.
        Assert.Equal(0x02, (await SocksWire.RefusedReplyAsync(port, SocksWire.Connect(IPAddress.Parse("127.0.0.2"), backend.Port))).Code);
        Assert.Equal(0x02, (await SocksWire.RefusedReplyAsync(port, SocksWire.Connect(IPAddress.Loopback, backend.Port + 1))).Code);
        var reply = await SocksWire.RefusedReplyAsync(port, SocksWire.Connect("localhost", backend.Port));
        Assert.Equal(0x02, reply.Code);
        Assert.Equal(0x01, reply.AddressType);
        Assert.Equal(IPAddress.Any, reply.BoundAddress);
        Assert.Equal(0, reply.Port);

        Assert.Equal(0, backend.Accepted);
        await proxy.WaitForSessionAsync(Route, $"target=127.0.0.2:{backend.Port}", "end=Forbidden", "user=u", "reply=02");
        await proxy.WaitForSessionAsync(Route, $"target=localhost:{backend.Port}", "end=Forbidden", "user=u", "reply=02");
    }

    [Fact]
    public async Task Name_that_does_not_resolve_replies_04()
    {
        var port = TestClient.FreePort();
        await using var proxy = await StartAsync(port, [.. SocksConfig.Loopback, "*.invalid:*"]);

        var reply = await SocksWire.RefusedReplyAsync(port, SocksWire.Connect("no-such-host.invalid", 80));

        Assert.Equal(0x04, reply.Code);
        await proxy.WaitForSessionAsync(Route, "target=no-such-host.invalid:80", "end=DnsFailed", "user=u", "reply=04");
    }

    [Fact]
    public async Task Port_nobody_listens_on_replies_05()
    {
        var port = TestClient.FreePort();
        using var refusing = TestClient.RefusingPort(out var closed);
        await using var proxy = await StartAsync(port);

        var reply = await SocksWire.RefusedReplyAsync(port, SocksWire.Connect(IPAddress.Loopback, closed));

        Assert.Equal(0x05, reply.Code);
        Assert.Equal(0x01, reply.AddressType);
        await proxy.WaitForSessionAsync(Route, $"target=127.0.0.1:{closed}", "end=TargetRefused", "user=u", "reply=05");
    }

    [Fact]
    public async Task Destination_that_never_answers_replies_06_after_the_connect_timeout()
    {
        using var silent = await SilentListener.StartAsync();
        var port = TestClient.FreePort();
        await using var proxy = await StartAsync(port, connectTimeout: "00:00:01");

        var elapsed = Stopwatch.StartNew();
        var reply = await SocksWire.RefusedReplyAsync(port, SocksWire.Connect(IPAddress.Loopback, silent.Port));

        Assert.Equal(0x06, reply.Code);
        Assert.True(elapsed.Elapsed >= TimeSpan.FromSeconds(0.9), $"The reply came after {elapsed.Elapsed}, before the outcome was known.");
        await proxy.WaitForSessionAsync(Route, $"target=127.0.0.1:{silent.Port}", "end=TargetTimeout", "user=u", "reply=06");
    }

    [Fact]
    public async Task Unreachable_network_replies_03()
    {
        // A multicast address: Linux refuses a TCP connect to it with ENETUNREACH before sending anything.
        var port = TestClient.FreePort();
        await using var proxy = await StartAsync(port, [.. SocksConfig.Loopback, "224.0.0.1/32:*"]);

        var reply = await SocksWire.RefusedReplyAsync(port, SocksWire.Connect(IPAddress.Parse("224.0.0.1"), 443));

        Assert.Equal(0x03, reply.Code);
        Assert.Equal(0x01, reply.AddressType);
        await proxy.WaitForSessionAsync(Route, "target=224.0.0.1:443", "end=TargetUnreachable", "user=u", "reply=03");
    }

    [Fact]
    public async Task Relay_pool_whose_every_egress_is_down_replies_01()
    {
        using var refusing1 = TestClient.RefusingPort(out var down1);
        using var refusing2 = TestClient.RefusingPort(out var down2);
        await using var backend = TcpBackend.Echo();
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(SocksConfig.Section(
            [SocksConfig.Socks5(Route, port, SocksConfig.Loopback, via: SocksConfig.Pool)],
            SocksConfig.RelayPool(down1, down2)));

        var reply = await SocksWire.RefusedReplyAsync(port, SocksWire.Connect(IPAddress.Loopback, backend.Port));

        Assert.Equal(0x01, reply.Code);
        Assert.Equal(0, backend.Accepted);
        await proxy.WaitForSessionAsync(Route, "end=ConnectFailed", "user=u", "reply=01");
    }

    [Fact]
    public async Task Request_with_a_wrong_version_replies_01()
    {
        await using var backend = TcpBackend.Echo();
        var port = TestClient.FreePort();
        await using var proxy = await StartAsync(port);

        byte[] request = [0x04, 0x01, 0x00, 0x01, 127, 0, 0, 1, (byte)(backend.Port >> 8), (byte)backend.Port];
        var reply = await SocksWire.RefusedReplyAsync(port, request);

        Assert.Equal(0x01, reply.Code);
        Assert.Equal(0, backend.Accepted);
        await proxy.WaitForSessionAsync(Route, "end=BadRequest", "user=u", "reply=01");
    }

    [Theory]
    [InlineData(0x02)] // BIND
    [InlineData(0x03)] // UDP ASSOCIATE
    [InlineData(0x09)] // not a command at all
    public async Task Commands_other_than_connect_reply_07_without_dialing(byte command)
    {
        await using var backend = TcpBackend.Echo();
        var port = TestClient.FreePort();
        await using var proxy = await StartAsync(port);

        var reply = await SocksWire.RefusedReplyAsync(port, SocksWire.Request(command, IPAddress.Loopback, backend.Port));

        Assert.Equal(0x07, reply.Code);
        Assert.Equal(0, backend.Accepted);
        await proxy.WaitForSessionAsync(Route, "end=BadRequest", "user=u", "reply=07");
    }

    [Fact]
    public async Task Unknown_address_type_replies_08()
    {
        await using var backend = TcpBackend.Echo();
        var port = TestClient.FreePort();
        await using var proxy = await StartAsync(port);

        var reply = await SocksWire.RefusedReplyAsync(port, [0x05, 0x01, 0x00, 0x05, 127, 0, 0, 1, (byte)(backend.Port >> 8), (byte)backend.Port]);

        Assert.Equal(0x08, reply.Code);
        Assert.Equal(0, backend.Accepted);
        await proxy.WaitForSessionAsync(Route, "end=BadRequest", "user=u", "reply=08");
    }

    // ---- Methods and authentication ----------------------------------------------------------------------------

    [Fact]
    public async Task Offering_only_no_authentication_on_a_route_that_requires_credentials_gets_05_FF_and_close()
    {
        var port = TestClient.FreePort();
        await using var proxy = await StartAsync(port);

        using var socket = await TestClient.ConnectAsync(port);
        await socket.SendBytesAsync(SocksWire.Greeting(0x00));

        Assert.Equal(new byte[] { 0x05, 0xFF }, await socket.ReadExactlyAsync(2));
        Assert.True(await socket.IsClosedByPeerAsync());
        await proxy.WaitForSessionAsync(Route, "end=AuthFailed", "user=-");
    }

    [Fact]
    public async Task Offering_no_authentication_and_username_password_selects_username_password()
    {
        await using var backend = TcpBackend.Echo();
        var port = TestClient.FreePort();
        await using var proxy = await StartAsync(port);

        using var socket = await TestClient.ConnectAsync(port);
        await socket.SendBytesAsync(SocksWire.Greeting(0x00, 0x01, 0x02, 0x80));
        Assert.Equal(new byte[] { 0x05, 0x02 }, await socket.ReadExactlyAsync(2));
        await socket.SendBytesAsync(SocksWire.Credentials(SocksConfig.User, SocksConfig.Password));
        Assert.Equal(new byte[] { 0x01, 0x00 }, await socket.ReadExactlyAsync(2));
        await socket.SendBytesAsync(SocksWire.Connect(IPAddress.Loopback, backend.Port));
        Assert.Equal(0x00, (await socket.ReadReplyAsync()).Code);
        await FinishEchoAsync(socket, "negotiated");
    }

    [Theory]
    [InlineData("u", "wrong")]
    [InlineData("nobody", "p")]
    [InlineData("U", "p")]
    [InlineData("u", "P")]
    [InlineData("u", "pp")]
    public async Task Wrong_credentials_get_rfc1929_failure_01_01_and_close_without_dialing(string user, string password)
    {
        await using var backend = TcpBackend.Echo();
        var port = TestClient.FreePort();
        await using var proxy = await StartAsync(port);

        using var socket = await TestClient.ConnectAsync(port);
        await socket.SendBytesAsync(SocksWire.Greeting(0x02));
        Assert.Equal(new byte[] { 0x05, 0x02 }, await socket.ReadExactlyAsync(2));
        // The request too, pipelined: it must not be acted on.
        await socket.SendBytesAsync([.. SocksWire.Credentials(user, password), .. SocksWire.Connect(IPAddress.Loopback, backend.Port)]);

        Assert.Equal(new byte[] { 0x01, 0x01 }, await socket.ReadExactlyAsync(2));
        Assert.True(await socket.IsClosedByPeerAsync());
        Assert.Equal(0, backend.Accepted);
        await proxy.WaitForSessionAsync(Route, "end=AuthFailed", "user=-");
    }

    [Fact]
    public async Task Authentication_with_a_wrong_subnegotiation_version_gets_01_01_and_close()
    {
        var port = TestClient.FreePort();
        await using var proxy = await StartAsync(port);

        using var socket = await TestClient.ConnectAsync(port);
        await socket.SendBytesAsync(SocksWire.Greeting(0x02));
        Assert.Equal(new byte[] { 0x05, 0x02 }, await socket.ReadExactlyAsync(2));
        await socket.SendBytesAsync([0x05, 0x01, (byte)'u', 0x01, (byte)'p']);

        Assert.Equal(new byte[] { 0x01, 0x01 }, await socket.ReadExactlyAsync(2));
        Assert.True(await socket.IsClosedByPeerAsync());
        await proxy.WaitForSessionAsync(Route, "end=AuthFailed");
    }

    [Fact]
    public async Task Anonymous_route_with_a_loopback_only_acl_selects_no_authentication()
    {
        await using var backend = TcpBackend.Echo();
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(SocksConfig.Section(
            [SocksConfig.Socks5(Route, port, SocksConfig.Loopback, allowAnonymous: true, aclAllow: ["127.0.0.1/32", "::1/128"])], users: false));

        using (var socket = await TestClient.ConnectAsync(port))
        {
            await socket.SendBytesAsync(SocksWire.Greeting(0x00));
            Assert.Equal(new byte[] { 0x05, 0x00 }, await socket.ReadExactlyAsync(2));
            await socket.SendBytesAsync(SocksWire.Connect(IPAddress.Loopback, backend.Port));
            Assert.Equal(0x00, (await socket.ReadReplyAsync()).Code);
            await FinishEchoAsync(socket, "anonymous");
        }

        // Without users, method 02 alone is not acceptable.
        using (var socket = await TestClient.ConnectAsync(port))
        {
            await socket.SendBytesAsync(SocksWire.Greeting(0x02));
            Assert.Equal(new byte[] { 0x05, 0xFF }, await socket.ReadExactlyAsync(2));
            Assert.True(await socket.IsClosedByPeerAsync());
        }

        await proxy.WaitForSessionAsync(Route, "end=Completed", "user=-");
    }

    [Theory]
    [InlineData("")]
    [InlineData("0.0.0.0/0")]
    [InlineData("127.0.0.1/32,10.0.0.0/8")]
    [InlineData("::/0")]
    public async Task AllowAnonymous_without_a_loopback_only_acl_is_a_startup_error(string acl)
    {
        var port = TestClient.FreePort();
        var route = SocksConfig.Socks5(Route, port, SocksConfig.Loopback, allowAnonymous: true,
            aclAllow: acl.Length == 0 ? null : acl.Split(','));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => ProxyTestHost.StartAsync(SocksConfig.Section([route])));

        Assert.Contains("AllowAnonymous", error.Message, StringComparison.Ordinal);
    }

    // ---- Not SOCKS5 --------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("474554202F20485454502F312E310D0A486F73743A20780D0A0D0A")] // GET / HTTP/1.1
    [InlineData("04010050" + "7F000001" + "7500")] // SOCKS4 CONNECT 127.0.0.1:80 user "u"
    [InlineData("0500")] // SOCKS5 with no methods at all
    [InlineData("16030100A5010000A10303")] // the start of a TLS ClientHello
    public async Task Greeting_that_is_not_socks5_is_closed_without_a_reply(string hex)
    {
        var port = TestClient.FreePort();
        await using var proxy = await StartAsync(port);

        using var socket = await TestClient.ConnectAsync(port);
        await socket.SendBytesAsync(Convert.FromHexString(hex));

        Assert.True(await socket.IsClosedByPeerAsync());
        await proxy.WaitForSessionAsync(Route, "end=BadRequest", "user=-", "reply=-");
    }

    // ---- Split, pipelined, bounded -----------------------------------------------------------------------------

    [Fact]
    public async Task Greeting_authentication_request_and_payload_pipelined_in_one_send_all_work()
    {
        await using var backend = TcpBackend.Echo();
        var port = TestClient.FreePort();
        await using var proxy = await StartAsync(port);

        using var socket = await TestClient.ConnectAsync(port);
        const string Payload = "payload sent before any reply";
        await socket.SendBytesAsync([.. SocksWire.Authenticated(SocksWire.Connect("localhost", backend.Port)), .. Encoding.ASCII.GetBytes(Payload)]);

        Assert.Equal(new byte[] { 0x05, 0x02, 0x01, 0x00 }, await socket.ReadExactlyAsync(4));
        Assert.Equal(0x00, (await socket.ReadReplyAsync()).Code);
        Assert.Equal(Payload, await socket.ReadTextAsync(Payload.Length));
        await FinishEchoAsync(socket, "and after");
        await proxy.WaitForSessionAsync(Route, "end=Completed", $"in={Payload.Length + 9}", $"out={Payload.Length + 9}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Handshake_written_one_byte_at_a_time_works(bool byName)
    {
        await using var backend = TcpBackend.Echo();
        var port = TestClient.FreePort();
        await using var proxy = await StartAsync(port);

        using var socket = await TestClient.ConnectAsync(port);
        var request = byName ? SocksWire.Connect("localhost", backend.Port) : SocksWire.Connect(IPAddress.Loopback, backend.Port);
        foreach (var message in new[] { SocksWire.Greeting(0x02), SocksWire.Credentials(SocksConfig.User, SocksConfig.Password), request })
        {
            foreach (var b in message)
            {
                await socket.SendBytesAsync([b]);
            }
        }

        Assert.Equal(new byte[] { 0x05, 0x02, 0x01, 0x00 }, await socket.ReadExactlyAsync(4));
        Assert.Equal(0x00, (await socket.ReadReplyAsync()).Code);
        await FinishEchoAsync(socket, "byte by byte");
    }

    [Fact]
    public async Task Handshake_split_at_every_message_boundary_with_replies_read_in_between_works()
    {
        await using var backend = TcpBackend.Echo();
        var port = TestClient.FreePort();
        await using var proxy = await StartAsync(port);

        // Each message in two pieces, cut in its middle, waiting for the proxy's answer before the next message.
        using var socket = await TestClient.ConnectAsync(port);
        byte[] greeting = SocksWire.Greeting(0x00, 0x02), credentials = SocksWire.Credentials(SocksConfig.User, SocksConfig.Password);
        byte[] request = SocksWire.Connect("localhost", backend.Port);
        await socket.SendBytesAsync(greeting[..1]);
        await socket.SendBytesAsync(greeting[1..]);
        Assert.Equal(new byte[] { 0x05, 0x02 }, await socket.ReadExactlyAsync(2));
        await socket.SendBytesAsync(credentials[..3]);
        await socket.SendBytesAsync(credentials[3..]);
        Assert.Equal(new byte[] { 0x01, 0x00 }, await socket.ReadExactlyAsync(2));
        await socket.SendBytesAsync(request[..6]);
        await socket.SendBytesAsync(request[6..]);
        Assert.Equal(0x00, (await socket.ReadReplyAsync()).Code);
        await FinishEchoAsync(socket, "in pieces");
    }

    [Fact]
    public async Task Client_that_stalls_inside_the_greeting_is_closed_at_the_handshake_deadline()
    {
        var port = TestClient.FreePort();
        await using var proxy = await StartAsync(port);

        using var socket = await TestClient.ConnectAsync(port);
        var elapsed = Stopwatch.StartNew();
        await socket.SendBytesAsync([0x05]);

        // Nothing more is sent: the proxy must give up on its own after 10 s (well before the test's 20 s read bound).
        Assert.True(await socket.IsClosedByPeerAsync());
        Assert.InRange(elapsed.Elapsed, TimeSpan.FromSeconds(9), TestTimeouts.Io);
        await proxy.WaitForSessionAsync(Route, "user=-", "reply=-");
    }

    [Fact]
    public async Task Fifty_concurrent_sessions_each_echo_their_own_payload()
    {
        await using var backend = TcpBackend.Echo();
        var port = TestClient.FreePort();
        await using var proxy = await StartAsync(port);
        const int Sessions = 50;

        await Task.WhenAll(Enumerable.Range(0, Sessions).Select(async i =>
        {
            var request = i % 2 == 0 ? SocksWire.Connect(IPAddress.Loopback, backend.Port) : SocksWire.Connect("localhost", backend.Port);
            var (socket, reply) = await SocksWire.OpenAsync(port, request);
            using (socket)
            {
                Assert.Equal(0x00, reply.Code);
                var payload = string.Concat(Enumerable.Repeat($"<session {i:D2}>", 200));
                await FinishEchoAsync(socket, payload);
            }
        }));

        Assert.Equal(Sessions, backend.Accepted);
        await proxy.Logs.WaitForAsync(_ => proxy.Logs.Entries.Count(e => SocksWire.IsSession(e.Message, Route)
            && SocksWire.HasField(e.Message, "end=Completed") && SocksWire.HasField(e.Message, "user=u")) == Sessions);
    }

    // ---- Through the relay -------------------------------------------------------------------------------------

    [Fact]
    public async Task Via_relay_ipv4_domain_and_ipv6_destinations_reply_00_and_relay_bytes()
    {
        await using var v4 = TcpBackend.Echo();
        await using var v6 = SocksWire.EchoOn(IPAddress.IPv6Loopback);
        await using var nodes = await SocksRelayPair.StartAsync(SocksConfig.Loopback);

        var requests = new[]
        {
            (Request: SocksWire.Connect(IPAddress.Loopback, v4.Port), Target: $"127.0.0.1:{v4.Port}"),
            (Request: SocksWire.Connect("localhost", v4.Port), Target: $"localhost:{v4.Port}"),
            (Request: SocksWire.Connect(IPAddress.IPv6Loopback, v6.Port), Target: $"[::1]:{v6.Port}"),
        };
        foreach (var (request, target) in requests)
        {
            var (socket, reply) = await SocksWire.OpenAsync(nodes.SocksPort, request);
            using (socket)
            {
                Assert.Equal(0x05, reply.Version);
                Assert.Equal(0x00, reply.Code);
                Assert.True(reply.AddressType is 0x01 or 0x04, $"ATYP {reply.AddressType}");
                Assert.Equal(reply.AddressType == 0x01 ? 4 : 16, reply.Address.Length);
                await FinishEchoAsync(socket, "through the relay to " + target);
            }

            await nodes.Ingress.WaitForSessionAsync(Route, $"target={target} via {SocksConfig.RelayUrl(nodes.EgressPort)}", "end=Completed", "user=u");
            // The name travels to the egress, which resolves it under its own policy.
            await nodes.Egress.Logs.WaitForAsync(e => e.Message.StartsWith("Relay tunnel route=relay ", StringComparison.Ordinal)
                && SocksWire.HasField(e.Message, $"destination={target}"));
        }
    }

    [Fact]
    public async Task Via_relay_the_egress_answers_become_replies_02_04_05_and_06()
    {
        using var silent = await SilentListener.StartAsync();
        await using var backend = TcpBackend.Echo();
        using var refusing = TestClient.RefusingPort(out var closed);
        string[] egressAllow = [.. SocksConfig.Loopback, "*.invalid:*"];
        // The ingress would allow 127.0.0.2; the egress does not.
        string[] ingressAllow = [.. egressAllow, "127.0.0.2/32:*"];
        await using var nodes = await SocksRelayPair.StartAsync(egressAllow, ingressAllow, egressConnectTimeout: "00:00:01");

        Assert.Equal(0x02, (await SocksWire.RefusedReplyAsync(nodes.SocksPort, SocksWire.Connect(IPAddress.Parse("127.0.0.2"), backend.Port))).Code);
        Assert.Equal(0x04, (await SocksWire.RefusedReplyAsync(nodes.SocksPort, SocksWire.Connect("no-such-host.invalid", 80))).Code);
        Assert.Equal(0x05, (await SocksWire.RefusedReplyAsync(nodes.SocksPort, SocksWire.Connect(IPAddress.Loopback, closed))).Code);
        Assert.Equal(0x06, (await SocksWire.RefusedReplyAsync(nodes.SocksPort, SocksWire.Connect(IPAddress.Loopback, silent.Port))).Code);

        // Each answer is about the destination, so the egress stays healthy: the next session succeeds.
        var (socket, reply) = await SocksWire.OpenAsync(nodes.SocksPort, SocksWire.Connect(IPAddress.Loopback, backend.Port));
        using (socket)
        {
            Assert.Equal(0x00, reply.Code);
            await FinishEchoAsync(socket, "still healthy");
        }

        await nodes.Ingress.WaitForSessionAsync(Route, "end=Forbidden", "reply=02");
        await nodes.Ingress.WaitForSessionAsync(Route, "end=DnsFailed", "reply=04");
        await nodes.Ingress.WaitForSessionAsync(Route, "end=TargetRefused", "reply=05");
        await nodes.Ingress.WaitForSessionAsync(Route, "end=TargetTimeout", "reply=06");
    }

    [Fact]
    public async Task Via_relay_the_ingress_route_still_enforces_its_own_destination_policy()
    {
        await using var allowed = TcpBackend.Echo();
        await using var other = TcpBackend.Echo();
        // The egress would dial any loopback port; the ingress route allows only one.
        await using var nodes = await SocksRelayPair.StartAsync(SocksConfig.Loopback, ["localhost:" + SocksConfig.Port(allowed.Port)]);

        var (socket, reply) = await SocksWire.OpenAsync(nodes.SocksPort, SocksWire.Connect("localhost", allowed.Port));
        using (socket)
        {
            Assert.Equal(0x00, reply.Code);
            await FinishEchoAsync(socket, "allowed by both");
        }

        var (refusedSocket, refused) = await SocksWire.OpenAsync(nodes.SocksPort, SocksWire.Connect("localhost", other.Port));
        using (refusedSocket)
        {
            Assert.Equal(0x02, refused.Code);
            Assert.True(await refusedSocket.IsClosedByPeerAsync());
        }

        Assert.Equal(0, other.Accepted);
        await nodes.Ingress.WaitForSessionAsync(Route, $"target=localhost:{other.Port}", "end=Forbidden", "user=u", "reply=02");
    }

    [Fact]
    public async Task Via_relay_a_domain_with_control_characters_gets_a_failure_reply_not_an_unhandled_error()
    {
        await using var backend = TcpBackend.Echo();
        await using var nodes = await SocksRelayPair.StartAsync([.. SocksConfig.Loopback, "*:*"], ["*:*"]);

        // A domain is any 1-255 bytes on the wire; this one is not a valid header value for the relay request.
        using var socket = await TestClient.ConnectAsync(nodes.SocksPort);
        SocksReply reply;
        try
        {
            reply = await socket.HandshakeAsync(SocksWire.Connect("bad\r\nX-Injected: 1", backend.Port));
        }
        catch (EndOfStreamException)
        {
            var errors = string.Join(" | ", nodes.Ingress.Logs.Entries.Where(e => e.Level >= LogLevel.Error).Select(e => e.Message + " " + e.Exception?.Message));
            Assert.Fail("The proxy closed the connection without a SOCKS reply. Errors logged: " + errors);
            throw;
        }

        Assert.True(reply.Code is 0x01 or 0x02 or 0x04, $"REP {reply.Code:x2}");
        Assert.True(await socket.IsClosedByPeerAsync());
        await nodes.Ingress.WaitForSessionAsync(Route, "user=u");
        Assert.DoesNotContain(nodes.Ingress.Logs.Entries, e => e.Level >= LogLevel.Error);
        Assert.Equal(0, backend.Accepted);
    }

    [Fact]
    public async Task Direct_domain_with_control_characters_gets_a_failure_reply_and_never_reaches_the_log_raw()
    {
        await using var backend = TcpBackend.Echo();
        var port = TestClient.FreePort();
        await using var proxy = await StartAsync(port, [.. SocksConfig.Loopback, "*:*"]);

        var reply = await SocksWire.RefusedReplyAsync(port, SocksWire.Connect("bad\r\nConnection forged", backend.Port));

        Assert.True(reply.Code is 0x01 or 0x02 or 0x04, $"REP {reply.Code:x2}");
        var line = await proxy.WaitForSessionAsync(Route, "user=u");
        var escaped = line.Message.Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
        Assert.True(line.Message.AsSpan().IndexOfAny('\r', '\n') < 0, $"REP {reply.Code:x2}; the client's bytes reached the log line raw: {escaped}");
    }
}
