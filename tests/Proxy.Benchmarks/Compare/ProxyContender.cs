namespace Proxy.Benchmarks.Compare;

/// <summary>This proxy, the Release build, with one Forward route, logging at Warning (no per-connection line).</summary>
internal sealed class ProxyContender : Contender
{
    public override string Name => "this proxy";

    public override bool IsPeer => false;

    public override Task<RunningContender> StartAsync(int targetPort, int maxConnections, TimeSpan lifetime, CancellationToken cancellation)
    {
        var port = LoopbackPorts.Free();
        object[] routes =
        [
            ProxyProcess.Route("bench", port, new { Type = "Forward", Targets = new[] { $"127.0.0.1:{targetPort}" } }),
        ];
        return StartAsync(port, routes, maxConnections, udp: false, lifetime, cancellation);
    }

    /// <summary>Two routes on one port number: a TCP Forward route (iperf3's control connection) and a UDP route
    /// (its datagrams), both to the iperf3 server.</summary>
    public override Task<RunningContender> StartTcpAndUdpAsync(int targetPort, TimeSpan lifetime, CancellationToken cancellation)
    {
        var port = LoopbackPorts.FreeForTcpAndUdp();
        object[] routes =
        [
            ProxyProcess.Route("bench", port, new { Type = "Forward", Targets = new[] { $"127.0.0.1:{targetPort}" } }),
            new
            {
                Id = "udp",
                Match = new { Ports = new[] { port }, Transport = "Udp" },
                Action = new { Type = "Forward", Targets = new[] { $"127.0.0.1:{targetPort}" } },
                Limits = new { IdleTimeout = "00:01:00" },
            },
        ];
        return StartAsync(port, routes, 1000, udp: true, lifetime, cancellation);
    }

    private Task<RunningContender> StartAsync(int port, object[] routes, int maxConnections, bool udp, TimeSpan lifetime, CancellationToken cancellation) =>
        ProxyProcess.StartAsync(Name, port, routes, maxConnections, udp, lifetime, cancellation);
}
