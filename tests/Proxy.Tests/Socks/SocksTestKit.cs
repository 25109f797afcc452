using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Proxy.Tests.Infrastructure;

namespace Proxy.Tests.Socks;

/// <summary>Configuration shorthands for Socks5 (ingress) and Relay (egress) routes in the shape of the <c>Proxy</c>
/// section; optional members are left out rather than written as null.</summary>
internal static class SocksConfig
{
    public const string User = ConnectRoutes.User;

    public const string Password = ConnectRoutes.Password;

    public const string Pool = ConnectRoutes.Pool;

    /// <summary>Loopback by address (special ranges need explicit CIDR entries) and by name.</summary>
    public static readonly string[] Loopback = [.. ConnectRoutes.Loopback, "[::1]/128:*"];

    public static string Port(int port) => ConnectRoutes.Port(port);

    public static string RelayUrl(int port) => ConnectRoutes.RelayUrl(port);

    /// <summary>A Socks5 route on <paramref name="port"/>.</summary>
    public static Dictionary<string, object> Socks5(string id, int port, string[] allow, string? via = null, bool allowAnonymous = false,
        string[]? aclAllow = null, string? connectTimeout = null)
    {
        var action = new Dictionary<string, object> { ["Type"] = "Socks5" };
        if (allowAnonymous)
        {
            action["AllowAnonymous"] = true;
        }

        var route = Limits(connectTimeout);
        if (aclAllow is not null)
        {
            route["Acl"] = new { Allow = aclAllow };
        }

        return ConnectRoutes.TunnelRoute(id, port, allow, via, action, route);
    }

    /// <summary>An egress Relay route on <paramref name="port"/> at the default path, accepting the test token.</summary>
    public static Dictionary<string, object> Relay(string id, int port, string[] allow, string? connectTimeout = null)
        => ConnectRoutes.RelayRoute(id, port, allow, route: Limits(connectTimeout));

    /// <summary>A <c>Proxy</c> section with the test user (unless <paramref name="users"/> is false).</summary>
    public static Dictionary<string, object> Section(object[] routes, object? relay = null, bool users = true, string bindAddress = "127.0.0.1")
        => ConnectRoutes.Section(routes, relay, users, bindAddress);

    /// <summary><c>Proxy:Relay</c> with one pool over egress nodes on these loopback ports.</summary>
    public static object RelayPool(params int[] egressPorts) => ConnectRoutes.RelayPool([.. egressPorts.Select(p => ConnectRoutes.Endpoint(p))]);

    private static Dictionary<string, object> Limits(string? connectTimeout)
        => connectTimeout is null ? [] : new Dictionary<string, object> { ["Limits"] = new { ConnectTimeout = connectTimeout } };
}

/// <summary>An egress node (a Relay route) and an ingress node (a Socks5 route <c>Via</c> it), both real proxies.</summary>
internal sealed class SocksRelayPair : IAsyncDisposable
{
    private SocksRelayPair(ProxyTestHost egress, ProxyTestHost ingress, int egressPort, int socksPort)
    {
        Egress = egress;
        Ingress = ingress;
        EgressPort = egressPort;
        SocksPort = socksPort;
    }

    public ProxyTestHost Egress { get; }

    public ProxyTestHost Ingress { get; }

    public int EgressPort { get; }

    public int SocksPort { get; }

    /// <param name="egressAllow">The egress's destination policy (where it resolves and dials).</param>
    /// <param name="ingressAllow">The ingress route's own destination policy.</param>
    /// <param name="egressConnectTimeout">The egress route's dial timeout, when not the default.</param>
    public static async Task<SocksRelayPair> StartAsync(string[] egressAllow, string[]? ingressAllow = null, string? egressConnectTimeout = null)
    {
        var egressPort = TestClient.FreePort();
        var egress = await ProxyTestHost.StartAsync(
            SocksConfig.Section([SocksConfig.Relay("relay", egressPort, egressAllow, egressConnectTimeout)], users: false));
        try
        {
            var socksPort = TestClient.FreePort();
            var ingress = await ProxyTestHost.StartAsync(SocksConfig.Section(
                [SocksConfig.Socks5("socks", socksPort, ingressAllow ?? SocksConfig.Loopback, via: SocksConfig.Pool)],
                SocksConfig.RelayPool(egressPort)));
            return new SocksRelayPair(egress, ingress, egressPort, socksPort);
        }
        catch
        {
            await egress.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Ingress.DisposeAsync();
        await Egress.DisposeAsync();
    }
}

/// <summary>A SOCKS5 reply: VER REP RSV ATYP BND.ADDR BND.PORT, as read off the wire.</summary>
internal sealed record SocksReply(byte Version, byte Code, byte Reserved, byte AddressType, byte[] Address, int Port)
{
    public IPAddress? BoundAddress => AddressType is 0x01 or 0x04 ? new IPAddress(Address) : null;
}

/// <summary>SOCKS5 messages as bytes, and a raw-socket client that speaks them.</summary>
internal static class SocksWire
{
    public static byte[] Greeting(params byte[] methods) => [0x05, (byte)methods.Length, .. methods];

    public static byte[] Credentials(string user, string password)
    {
        var u = Encoding.UTF8.GetBytes(user);
        var p = Encoding.UTF8.GetBytes(password);
        return [0x01, (byte)u.Length, .. u, (byte)p.Length, .. p];
    }

    public static byte[] Request(byte command, IPAddress address, int port)
    {
        var type = address.AddressFamily == AddressFamily.InterNetwork ? (byte)0x01 : (byte)0x04;
        return [0x05, command, 0x00, type, .. address.GetAddressBytes(), (byte)(port >> 8), (byte)port];
    }

    public static byte[] Request(byte command, string domain, int port)
    {
        var name = Encoding.UTF8.GetBytes(domain);
        return [0x05, command, 0x00, 0x03, (byte)name.Length, .. name, (byte)(port >> 8), (byte)port];
    }

    public static byte[] Connect(IPAddress address, int port) => Request(0x01, address, port);

    public static byte[] Connect(string domain, int port) => Request(0x01, domain, port);

    /// <summary>Greeting offering only method 02, the test user's credentials, then <paramref name="request"/>.</summary>
    public static byte[] Authenticated(byte[] request, string user = SocksConfig.User, string password = SocksConfig.Password)
        => [.. Greeting(0x02), .. Credentials(user, password), .. request];

    public static async Task SendBytesAsync(this Socket socket, byte[] bytes)
    {
        using var cts = new CancellationTokenSource(TestTimeouts.Io);
        var sent = 0;
        while (sent < bytes.Length)
        {
            sent += await socket.SendAsync(bytes.AsMemory(sent), SocketFlags.None, cts.Token);
        }
    }

    /// <summary>Reads one reply, however long its bound address is.</summary>
    public static async Task<SocksReply> ReadReplyAsync(this Socket socket)
    {
        var head = await socket.ReadExactlyAsync(4);
        var length = head[3] switch
        {
            0x01 => 4,
            0x04 => 16,
            0x03 => (await socket.ReadExactlyAsync(1))[0],
            _ => throw new InvalidDataException($"Reply with address type {head[3]:x2}: {Convert.ToHexString(head)}"),
        };
        var address = await socket.ReadExactlyAsync(length);
        var port = await socket.ReadExactlyAsync(2);
        return new SocksReply(head[0], head[1], head[2], head[3], address, (port[0] << 8) | port[1]);
    }

    /// <summary>Greeting with method 02, credentials and <paramref name="request"/>, one step at a time, asserting the
    /// method choice and authentication success; returns the request's reply.</summary>
    public static async Task<SocksReply> HandshakeAsync(this Socket socket, byte[] request)
    {
        await socket.SendBytesAsync(Greeting(0x02));
        Assert.Equal(new byte[] { 0x05, 0x02 }, await socket.ReadExactlyAsync(2));
        await socket.SendBytesAsync(Credentials(SocksConfig.User, SocksConfig.Password));
        Assert.Equal(new byte[] { 0x01, 0x00 }, await socket.ReadExactlyAsync(2));
        await socket.SendBytesAsync(request);
        return await socket.ReadReplyAsync();
    }

    /// <summary>Connects to the proxy and runs <see cref="HandshakeAsync"/>.</summary>
    public static async Task<(Socket Socket, SocksReply Reply)> OpenAsync(int proxyPort, byte[] request, IPAddress? proxyAddress = null)
    {
        var socket = await TestClient.ConnectAsync(proxyPort, proxyAddress);
        try
        {
            return (socket, await socket.HandshakeAsync(request));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The reply to <paramref name="request"/> (after authenticating), asserting the proxy then closes.</summary>
    public static async Task<SocksReply> RefusedReplyAsync(int proxyPort, byte[] request)
    {
        var (socket, reply) = await OpenAsync(proxyPort, request);
        using (socket)
        {
            Assert.True(await socket.IsClosedByPeerAsync(), "The proxy should close the connection after a failure reply.");
        }

        return reply;
    }

    /// <summary>Waits for the connection line of route <paramref name="routeId"/> that has every one of
    /// <paramref name="fields"/> (see <see cref="HasField"/>), in whatever order the line lists them.</summary>
    public static Task<LogEntry> WaitForSessionAsync(this ProxyTestHost proxy, string routeId, params string[] fields)
        => proxy.Logs.WaitForAsync(e => IsSession(e.Message, routeId) && fields.All(f => HasField(e.Message, f)));

    public static bool IsSession(string message, string routeId)
        => message.StartsWith("Connection ", StringComparison.Ordinal) && HasField(message, "route=" + routeId);

    /// <summary>Whether <paramref name="message"/> has <paramref name="field"/> (<c>key=value</c>) as a whole
    /// space-separated field; the value may itself contain spaces (<c>target=a:1 via ws://...</c>), and a trailing
    /// <c>*</c> matches any rest of the field (<c>client=[::1]:*</c>).</summary>
    public static bool HasField(string message, string field)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(field);
        var padded = " " + message + " ";
        return field.EndsWith('*')
            ? padded.Contains(" " + field[..^1], StringComparison.Ordinal)
            : padded.Contains(" " + field + " ", StringComparison.Ordinal);
    }

    /// <summary>A TCP echo server bound to <paramref name="address"/> (e.g. <see cref="IPAddress.IPv6Loopback"/>).</summary>
    public static TcpBackend EchoOn(IPAddress address) => new(async (socket, ct) =>
    {
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, ct)) > 0)
        {
            await socket.SendAsync(buffer.AsMemory(0, read), ct);
        }

        socket.Shutdown(SocketShutdown.Send);
    }, address);

    /// <summary>A minimal HTTP/1.1 server on <paramref name="address"/> answering every request with <paramref name="body"/>.</summary>
    public static TcpBackend HttpOn(IPAddress address, string body) => new(async (socket, ct) =>
    {
        var head = new StringBuilder();
        var buffer = new byte[4096];
        while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var read = await socket.ReceiveAsync(buffer, ct);
            if (read == 0)
            {
                return;
            }

            head.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        var response = $"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\nConnection: close\r\n\r\n{body}";
        await socket.SendAsync(Encoding.UTF8.GetBytes(response), ct);
        socket.Shutdown(SocketShutdown.Send);
    }, address);
}

/// <summary>A loopback port where connecting hangs: a listener with a backlog of zero that never accepts, its accept
/// queue filled by one connection. A SYN to a listener whose accept queue is full is dropped (Linux and gVisor), and
/// the dialer retries it until its own timeout, which is what a destination that never answers looks like.</summary>
internal sealed class SilentListener : IDisposable
{
    private readonly Socket _listener;
    private readonly Socket _filler;

    private SilentListener(Socket listener, Socket filler, int port)
    {
        _listener = listener;
        _filler = filler;
        Port = port;
    }

    public int Port { get; }

    public static async Task<SilentListener> StartAsync()
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(0);
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var cts = new CancellationTokenSource(TestTimeouts.Io);
        await filler.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cts.Token);
        return new SilentListener(listener, filler, port);
    }

    public void Dispose()
    {
        _filler.Dispose();
        _listener.Dispose();
    }
}

/// <summary>curl through a SOCKS5 proxy (<see cref="CurlClient"/>: the real <c>/usr/bin/curl</c>, clean environment).</summary>
internal static class SocksCurl
{
    /// <param name="mode"><c>--socks5</c> (curl resolves) or <c>--socks5-hostname</c> (the proxy resolves).</param>
    /// <param name="proxy">host:port of the SOCKS5 proxy.</param>
    /// <param name="url">The destination URL.</param>
    /// <param name="credentials">user:password, sent as RFC 1929 credentials.</param>
    /// <param name="extra">More curl options, placed before the URL.</param>
    public static Task<CurlResult> RunAsync(string mode, string proxy, string url, string credentials = "u:p", params string[] extra)
        => CurlClient.RunAsync(["-sS", mode, proxy, "-U", credentials, .. extra, url]);
}
