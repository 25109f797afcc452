using System.Globalization;

namespace Proxy.Benchmarks.Compare;

/// <summary>HAProxy in <c>mode http</c>, one thread, keep-alive on both sides, idle backend connections shared between
/// clients (<c>http-reuse always</c>), no log.</summary>
internal sealed class HaproxyHttpContender : HttpContender
{
    public override string Name => "HAProxy (mode http)";

    public override async Task<RunningContender> StartAsync(int backendPort, TimeSpan lifetime, CancellationToken cancellation)
    {
        var port = LoopbackPorts.Free();
        var work = Contender.NewWorkDirectory("haproxy-http");
        var config = Path.Combine(work.FullName, "haproxy.cfg");
        var text = string.Create(CultureInfo.InvariantCulture, $"""
            global
                nbthread 1
                maxconn 4096

            defaults
                mode http
                timeout connect 5s
                timeout client 1h
                timeout server 1h
                http-reuse always

            frontend bench
                bind 127.0.0.1:{port}
                default_backend target

            backend target
                server target 127.0.0.1:{backendPort}

            """);
        await File.WriteAllTextAsync(config, text, cancellation).ConfigureAwait(false);

        // -db: stay in the foreground, so the PID is the worker that carries the load.
        var process = Pinned.Start(Pinned.ProxyCore, "haproxy", ["-db", "-f", config], lifetime, work.FullName);
        return await Contender.WaitReadyAsync(Name, port, process, work, cancellation).ConfigureAwait(false);
    }
}
