using System.Globalization;

namespace Proxy.Benchmarks.Compare;

/// <summary>One way of opening tunnels to 127.0.0.1 on request, pinned to the proxy core: this proxy's Connect route
/// (direct, or via the relay to a second instance), tinyproxy, this proxy's Socks5 route, microsocks; and this proxy's
/// plain Forward route, the reference the relay is held against.</summary>
internal sealed class TunnelContender
{
    private const string RelayToken = "bench-relay-token-0123456789";
    private readonly Func<int, int, TimeSpan, CancellationToken, Task<RunningTunnel>> _start;

    private TunnelContender(string name, TunnelProtocol protocol, bool isPeer, Func<int, int, TimeSpan, CancellationToken, Task<RunningTunnel>> start)
    {
        Name = name;
        Protocol = protocol;
        IsPeer = isPeer;
        _start = start;
    }

    public string Name { get; }

    public TunnelProtocol Protocol { get; }

    /// <summary>The peer the rows of its protocol are held against.</summary>
    public bool IsPeer { get; }

    public static TunnelContender Forward { get; } = new("this proxy, Forward (reference)", TunnelProtocol.Plain, false, StartForwardAsync);

    public static TunnelContender Connect { get; } = new(
        "this proxy, CONNECT", TunnelProtocol.Http, false, (i, h, l, c) => StartProxyAsync("Connect", i, h, l, c));

    public static TunnelContender ConnectViaRelay { get; } = new("this proxy, CONNECT via relay", TunnelProtocol.Http, false, StartRelayAsync);

    public static TunnelContender Tinyproxy { get; } = new("tinyproxy", TunnelProtocol.Http, true, StartTinyproxyAsync);

    public static TunnelContender Socks5 { get; } = new(
        "this proxy, SOCKS5", TunnelProtocol.Socks5, false, (i, h, l, c) => StartProxyAsync("Socks5", i, h, l, c));

    public static TunnelContender Microsocks { get; } = new("microsocks", TunnelProtocol.Socks5, true, StartMicrosocksAsync);

    public static IReadOnlyList<TunnelContender> All { get; } = [Forward, Connect, ConnectViaRelay, Tinyproxy, Socks5, Microsocks];

    /// <summary>Starts it on a free loopback port and returns once it listens.</summary>
    /// <param name="iperfTarget">The iperf3 server's port.</param>
    /// <param name="httpTarget">The HTTP backend's port.</param>
    /// <param name="lifetime">Its processes are killed by PID after this long at the latest.</param>
    /// <param name="cancellation">Stops waiting for it to listen.</param>
    public Task<RunningTunnel> StartAsync(int iperfTarget, int httpTarget, TimeSpan lifetime, CancellationToken cancellation) =>
        _start(iperfTarget, httpTarget, lifetime, cancellation);

    /// <summary>Two Forward routes in one process: one to the iperf3 server, one to the HTTP backend.</summary>
    private static async Task<RunningTunnel> StartForwardAsync(int iperfTarget, int httpTarget, TimeSpan lifetime, CancellationToken cancellation)
    {
        var (iperfPort, httpPort) = (LoopbackPorts.Free(), LoopbackPorts.Free());
        object[] routes =
        [
            ProxyProcess.Route("iperf", iperfPort, new { Type = "Forward", Targets = new[] { Target(iperfTarget) } }),
            ProxyProcess.Route("http", httpPort, new { Type = "Forward", Targets = new[] { Target(httpTarget) } }),
        ];
        var running = await ProxyProcess.StartAsync(Forward.Name, iperfPort, routes, 1000, udp: false, lifetime, cancellation).ConfigureAwait(false);
        if (!await LoopbackPorts.WaitListeningAsync(httpPort, running.Process, TimeSpan.FromSeconds(30), cancellation).ConfigureAwait(false))
        {
            await running.DisposeAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"{Forward.Name} did not listen on 127.0.0.1:{httpPort}");
        }

        return new RunningTunnel(running, iperfPort, httpPort);
    }

    /// <summary>A Connect or Socks5 route, anonymous (its ACL admits loopback only), that may dial the two targets only.</summary>
    private static async Task<RunningTunnel> StartProxyAsync(string type, int iperfTarget, int httpTarget, TimeSpan lifetime, CancellationToken cancellation)
    {
        var port = LoopbackPorts.Free();
        object[] routes = [TunnelRoute(type, port, iperfTarget, httpTarget, via: null)];
        var running = await ProxyProcess.StartAsync($"this proxy ({type})", port, routes, 1000, udp: false, lifetime, cancellation).ConfigureAwait(false);
        return new RunningTunnel(running, port, port);
    }

    /// <summary>An egress instance (a Relay route on its own port) started first, then an ingress instance whose Connect
    /// route goes <c>Via</c> a pool holding that egress; both on the proxy core, measured together.</summary>
    private static async Task<RunningTunnel> StartRelayAsync(int iperfTarget, int httpTarget, TimeSpan lifetime, CancellationToken cancellation)
    {
        var egressPort = LoopbackPorts.Free();
        object[] egressRoutes =
        [
            new
            {
                Id = "egress",
                Match = new { Ports = new[] { egressPort }, Path = "/relay/v1/tcp" },
                Action = new
                {
                    Type = "Relay",
                    Tokens = new[] { new { Id = "bench", Secret = RelayToken } },
                    Destinations = new { Allow = Destinations(iperfTarget, httpTarget) },
                    MaxTunnels = 100_000,
                    MaxTunnelsPerToken = 100_000,
                },
            },
        ];
        var egress = await ProxyProcess.StartAsync("this proxy (relay egress)", egressPort, egressRoutes, 1000, udp: false, lifetime, cancellation)
            .ConfigureAwait(false);
        try
        {
            var port = LoopbackPorts.Free();
            var relay = new Dictionary<string, object>
            {
                ["Relay"] = new
                {
                    Pools = new Dictionary<string, object>
                    {
                        ["egress"] = new { Endpoints = new[] { new { Url = $"ws://127.0.0.1:{egressPort}/relay/v1/tcp", Token = RelayToken } } },
                    },
                },
            };
            object[] routes = [TunnelRoute("Connect", port, iperfTarget, httpTarget, via: "egress")];
            var ingress = await ProxyProcess.StartAsync("this proxy (relay ingress)", port, routes, 1000, udp: false, lifetime, cancellation, relay)
                .ConfigureAwait(false);
            return new RunningTunnel(new RunningContender(port, null, null, ingress, egress), port, port);
        }
        catch
        {
            await egress.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>tinyproxy 1.11 in the foreground (<c>-d</c>): no <c>ConnectPort</c> line, so CONNECT to any port; errors
    /// only in its log, as this proxy logs at Warning.</summary>
    private static async Task<RunningTunnel> StartTinyproxyAsync(int iperfTarget, int httpTarget, TimeSpan lifetime, CancellationToken cancellation)
    {
        var port = LoopbackPorts.Free();
        var work = Contender.NewWorkDirectory("tinyproxy");
        var config = Path.Combine(work.FullName, "tinyproxy.conf");
        var text = string.Create(CultureInfo.InvariantCulture, $"""
            Port {port}
            Listen 127.0.0.1
            Timeout 600
            MaxClients 1000
            Allow 127.0.0.1
            LogLevel Error
            DisableViaHeader Yes

            """);
        await File.WriteAllTextAsync(config, text, cancellation).ConfigureAwait(false);
        var process = Pinned.Start(Pinned.ProxyCore, "tinyproxy", ["-d", "-c", config], lifetime, work.FullName);
        var running = await Contender.WaitReadyAsync(Tinyproxy.Name, port, process, work, cancellation).ConfigureAwait(false);
        return new RunningTunnel(running, port, port);
    }

    /// <summary>microsocks 1.0.3: a thread per client, no authentication; it writes one line per connection to stderr
    /// (it has no option to be quiet).</summary>
    private static async Task<RunningTunnel> StartMicrosocksAsync(int iperfTarget, int httpTarget, TimeSpan lifetime, CancellationToken cancellation)
    {
        var port = LoopbackPorts.Free();
        var process = Pinned.Start(Pinned.ProxyCore, "microsocks", ["-i", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture)], lifetime);
        var running = await Contender.WaitReadyAsync(Microsocks.Name, port, process, null, cancellation).ConfigureAwait(false);
        return new RunningTunnel(running, port, port);
    }

    private static object TunnelRoute(string type, int port, int iperfTarget, int httpTarget, string? via) => new
    {
        Id = "tunnels",
        Match = new { Ports = new[] { port } },
        Acl = new { Allow = new[] { "127.0.0.1/32" } },
        Action = new { Type = type, AllowAnonymous = true, Via = via, Destinations = new { Allow = Destinations(iperfTarget, httpTarget) } },
    };

    /// <summary>Loopback is refused unless named as an address: exactly the two targets.</summary>
    private static string[] Destinations(int iperfTarget, int httpTarget) => [$"127.0.0.1/32:{iperfTarget}", $"127.0.0.1/32:{httpTarget}"];

    private static string Target(int port) => $"127.0.0.1:{port}";
}
