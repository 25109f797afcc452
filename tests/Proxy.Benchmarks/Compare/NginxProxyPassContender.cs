using System.Globalization;

namespace Proxy.Benchmarks.Compare;

/// <summary>nginx's http module with one worker, <c>proxy_pass</c> to an upstream that keeps up to 64 idle connections to
/// the backend (HTTP/1.1, the client's <c>Connection</c> header dropped), no access log.</summary>
internal sealed class NginxProxyPassContender : HttpContender
{
    public override string Name => "nginx proxy_pass";

    public override async Task<RunningContender> StartAsync(int backendPort, TimeSpan lifetime, CancellationToken cancellation)
    {
        var port = LoopbackPorts.Free();
        var work = Contender.NewWorkDirectory("nginx-http");
        var config = Path.Combine(work.FullName, "nginx.conf");
        var text = string.Create(CultureInfo.InvariantCulture, $$"""
            {{NginxConfig.MainContext(work, 4096)}}

            http {
                access_log off;
                keepalive_requests 1000000000;
                keepalive_timeout 300s;
                {{NginxConfig.TempPaths(work)}}
                upstream backend {
                    server 127.0.0.1:{{backendPort}};
                    keepalive 64;
                    keepalive_requests 1000000000;
                }

                server {
                    listen 127.0.0.1:{{port}} backlog=4096;
                    location / {
                        proxy_pass http://backend;
                        proxy_http_version 1.1;
                        proxy_set_header Connection "";
                    }
                }
            }

            """);
        await File.WriteAllTextAsync(config, text, cancellation).ConfigureAwait(false);

        // -e: the startup error log before the config is read, which would otherwise be /var/log/nginx/error.log.
        var process = Pinned.Start(
            Pinned.ProxyCore, "nginx", ["-p", work.FullName, "-e", Path.Combine(work.FullName, "error.log"), "-c", config], lifetime, work.FullName);
        return await Contender.WaitReadyAsync(Name, port, process, work, cancellation).ConfigureAwait(false);
    }
}
