using System.Globalization;

namespace Proxy.Benchmarks.Compare;

/// <summary>HAProxy in <c>mode tcp</c>, one thread; with <paramref name="splice"/> it moves bytes with splice(2)
/// (<c>option splice-auto</c>), so they never enter user space.</summary>
internal sealed class HaproxyContender(bool splice) : Contender
{
    public override string Name => splice ? "HAProxy (mode tcp, splice)" : "HAProxy (mode tcp)";

    public override bool MeasuresIdleConnections => !splice;

    /// <summary>Whether this is the splice variant (the UDP table lists HAProxy once).</summary>
    public bool Splice => splice;

    public override string? UdpUnsupported => "not supported: HAProxy 2.6 has no UDP proxying";

    public override Task<RunningContender> StartTcpAndUdpAsync(int targetPort, TimeSpan lifetime, CancellationToken cancellation) =>
        throw new NotSupportedException(UdpUnsupported);

    public override async Task<RunningContender> StartAsync(int targetPort, int maxConnections, TimeSpan lifetime, CancellationToken cancellation)
    {
        var port = LoopbackPorts.Free();
        var work = NewWorkDirectory("haproxy");
        var config = Path.Combine(work.FullName, "haproxy.cfg");
        var text = string.Create(CultureInfo.InvariantCulture, $"""
            global
                nbthread 1
                maxconn {maxConnections + 100}

            defaults
                mode tcp
                timeout connect 5s
                timeout client 1h
                timeout server 1h
                {(splice ? "option splice-auto" : "")}

            frontend bench
                bind 127.0.0.1:{port}
                default_backend target

            backend target
                server target 127.0.0.1:{targetPort}

            """);
        await File.WriteAllTextAsync(config, text, cancellation).ConfigureAwait(false);

        // -db: stay in the foreground, so the PID is the worker that carries the load.
        var process = Pinned.Start(Pinned.ProxyCore, "haproxy", ["-db", "-f", config], lifetime, work.FullName);
        return await WaitReadyAsync(Name, port, process, work, cancellation).ConfigureAwait(false);
    }
}
