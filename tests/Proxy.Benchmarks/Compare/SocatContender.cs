namespace Proxy.Benchmarks.Compare;

/// <summary>socat, one forked process per connection: the simplest user-space copy loop.</summary>
internal sealed class SocatContender : Contender
{
    public override string Name => "socat";

    /// <summary>A process per connection: 10,000 held connections would be 10,000 processes, not a proxy's cost.</summary>
    public override bool MeasuresIdleConnections => false;

    public override async Task<RunningContender> StartAsync(int targetPort, int maxConnections, TimeSpan lifetime, CancellationToken cancellation)
    {
        var port = LoopbackPorts.Free();
        var process = Pinned.Start(
            Pinned.ProxyCore, "socat", [$"TCP-LISTEN:{port},bind=127.0.0.1,fork,reuseaddr", $"TCP:127.0.0.1:{targetPort}"], lifetime);
        return await WaitReadyAsync(Name, port, process, null, cancellation).ConfigureAwait(false);
    }

    /// <summary>Two socats under one shell (measured together, killed together by the shell's PID): the TCP one as above,
    /// and <c>UDP-LISTEN,fork</c>, which forks a child per client address on its first datagram (the child's socket
    /// is connected to that client; the parent binds again for the next one). <c>-T 5</c> ends a UDP child after 5 s
    /// without datagrams (UDP has no end of stream); it is not on the TCP socat, whose iperf3 control connection is idle
    /// during a test. socat's default 8,192-byte buffer holds the 8,000-byte datagrams whole.</summary>
    public override async Task<RunningContender> StartTcpAndUdpAsync(int targetPort, TimeSpan lifetime, CancellationToken cancellation)
    {
        var port = LoopbackPorts.FreeForTcpAndUdp();
        var process = Pinned.Start(
            Pinned.ProxyCore,
            "bash",
            [
                "-c", "socat \"$1\" \"$2\" & socat -T 5 \"$3\" \"$4\" & wait", "socat-pair",
                $"TCP-LISTEN:{port},bind=127.0.0.1,fork,reuseaddr", $"TCP:127.0.0.1:{targetPort}",
                $"UDP-LISTEN:{port},bind=127.0.0.1,fork,reuseaddr", $"UDP:127.0.0.1:{targetPort}",
            ],
            lifetime);
        return await WaitReadyAsync(Name, port, process, null, cancellation, udp: true).ConfigureAwait(false);
    }
}
