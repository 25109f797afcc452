using System.Globalization;

namespace Proxy.Benchmarks.Compare;

/// <summary>nginx <c>stream</c> (libnginx-mod-stream) with one worker; the master and worker are measured together.</summary>
internal sealed class NginxContender : Contender
{
        public override string Name => "nginx stream";

    public override Task<RunningContender> StartAsync(int targetPort, int maxConnections, TimeSpan lifetime, CancellationToken cancellation) =>
        StartAsync(LoopbackPorts.Free(), targetPort, maxConnections, udp: false, lifetime, cancellation);

    /// <summary>A second server block on the same port number, <c>listen ... udp</c>: one session per client address,
    /// its datagrams through one upstream socket; a session ends after a minute without datagrams, as the proxy's flow.</summary>
    public override Task<RunningContender> StartTcpAndUdpAsync(int targetPort, TimeSpan lifetime, CancellationToken cancellation) =>
        StartAsync(LoopbackPorts.FreeForTcpAndUdp(), targetPort, 1000, udp: true, lifetime, cancellation);

    private async Task<RunningContender> StartAsync(int port, int targetPort, int maxConnections, bool udp, TimeSpan lifetime, CancellationToken cancellation)
    {
        var work = NewWorkDirectory("nginx");
        var config = Path.Combine(work.FullName, "nginx.conf");
        var udpServer = udp
            ? string.Create(CultureInfo.InvariantCulture, $$"""
                server {
                    listen 127.0.0.1:{{port}} udp;
                    proxy_pass 127.0.0.1:{{targetPort}};
                    proxy_timeout 1m;
                }
            """)
            : "";
        var text = string.Create(CultureInfo.InvariantCulture, $$"""
            load_module {{NginxConfig.StreamModule}};
            {{NginxConfig.MainContext(work, (2 * maxConnections) + 100)}}

            stream {
                server {
                    listen 127.0.0.1:{{port}};
                    proxy_pass 127.0.0.1:{{targetPort}};
                    proxy_timeout 1h;
                }
            {{udpServer}}
            }

            """);
        await File.WriteAllTextAsync(config, text, cancellation).ConfigureAwait(false);

        // -e: the startup error log before the config is read, which would otherwise be /var/log/nginx/error.log.
        var process = Pinned.Start(Pinned.ProxyCore, "nginx", ["-p", work.FullName, "-e", Path.Combine(work.FullName, "error.log"), "-c", config], lifetime, work.FullName);
        return await WaitReadyAsync(Name, port, process, work, cancellation, udp).ConfigureAwait(false);
    }
}
