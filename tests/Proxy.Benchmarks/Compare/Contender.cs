namespace Proxy.Benchmarks.Compare;

/// <summary>One way of getting bytes from 127.0.0.1:port to a target port: this proxy, a peer, or nothing (direct).</summary>
internal abstract class Contender
{
    public abstract string Name { get; }

    /// <summary>A peer this proxy is compared with (the "best peer" of the report's ratios).</summary>
    public virtual bool IsPeer => true;

    /// <summary>Whether its memory per idle connection is meaningful (socat forks a process per connection).</summary>
    public virtual bool MeasuresIdleConnections => true;

    /// <summary>Starts forwarding a free loopback port to <paramref name="targetPort"/>, pinned to the proxy core, and
    /// returns once it listens.</summary>
    /// <param name="targetPort">Where it forwards to, on 127.0.0.1.</param>
    /// <param name="maxConnections">Connections it must be able to hold at once (sets each peer's own limits).</param>
    /// <param name="lifetime">It is killed by PID after this long at the latest.</param>
    /// <param name="cancellation">Stops waiting for it to listen.</param>
    public abstract Task<RunningContender> StartAsync(int targetPort, int maxConnections, TimeSpan lifetime, CancellationToken cancellation);

    /// <summary>Why it cannot forward UDP (the UDP table says so), or null when it can.</summary>
    public virtual string? UdpUnsupported => null;

    /// <summary>Starts forwarding a free loopback port number to <paramref name="targetPort"/> for TCP and UDP both
    /// (iperf3 -u opens its control connection over TCP and sends its datagrams to the same port number), pinned to the
    /// proxy core, and returns once it listens on both. Only called when <see cref="UdpUnsupported"/> is null.</summary>
    public abstract Task<RunningContender> StartTcpAndUdpAsync(int targetPort, TimeSpan lifetime, CancellationToken cancellation);

    /// <summary>Wraps a started process as a <see cref="RunningContender"/> once it listens on <paramref name="port"/>;
    /// kills it and throws when it does not within 30 s (shared with the HTTP contenders).</summary>
    internal static async Task<RunningContender> WaitReadyAsync(
        string name, int port, ExternalProcess process, DirectoryInfo? workDirectory, CancellationToken cancellation, bool udp = false)
    {
        var running = new RunningContender(port, process, workDirectory);
        if (!await LoopbackPorts.WaitListeningAsync(port, process, TimeSpan.FromSeconds(30), cancellation, udp).ConfigureAwait(false))
        {
            var what = udp ? "TCP and UDP" : "TCP";
            var why = $"{name} did not listen ({what}) on 127.0.0.1:{port} within 30 s (exited: {process.HasExited}).\n{process.Output}{process.Error}";
            await running.DisposeAsync().ConfigureAwait(false);
            throw new InvalidOperationException(why);
        }

        return running;
    }

    /// <summary>A temporary folder for a contender's configuration, deleted when it stops.</summary>
    internal static DirectoryInfo NewWorkDirectory(string name) => Directory.CreateTempSubdirectory($"proxy-bench-{name}-");
}
