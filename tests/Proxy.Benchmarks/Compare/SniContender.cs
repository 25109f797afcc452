using System.Globalization;

namespace Proxy.Benchmarks.Compare;

/// <summary>One way of routing TLS connections by SNI without terminating them, pinned to the proxy core: this proxy
/// (two Forward routes on one port, <c>Match.Domains</c>), HAProxy (<c>req_ssl_sni</c>) or nginx stream
/// (<c>ssl_preread</c>).</summary>
internal sealed class SniContender
{
    private readonly Func<int, SniBackends, TimeSpan, CancellationToken, Task<RunningContender>> _start;

    private SniContender(string name, bool isPeer, Func<int, SniBackends, TimeSpan, CancellationToken, Task<RunningContender>> start)
    {
        Name = name;
        IsPeer = isPeer;
        _start = start;
    }

    public string Name { get; }

    /// <summary>A peer this proxy is compared with.</summary>
    public bool IsPeer { get; }

    public static SniContender Proxy { get; } = new("this proxy", false, StartProxyAsync);

    public static SniContender Haproxy { get; } = new("HAProxy (mode tcp, req_ssl_sni)", true, StartHaproxyAsync);

    public static SniContender Nginx { get; } = new("nginx stream (ssl_preread)", true, StartNginxAsync);

    public static IReadOnlyList<SniContender> All { get; } = [Proxy, Haproxy, Nginx];

    /// <summary>Starts it on a free loopback port routing <see cref="HandshakeLoad.NameA"/> and
    /// <see cref="HandshakeLoad.NameB"/> to their backends; returns once it listens.</summary>
    public Task<RunningContender> StartAsync(SniBackends backends, TimeSpan lifetime, CancellationToken cancellation) =>
        _start(LoopbackPorts.Free(), backends, lifetime, cancellation);

    private static Task<RunningContender> StartProxyAsync(int port, SniBackends backends, TimeSpan lifetime, CancellationToken cancellation)
    {
        object[] routes =
        [
            DomainRoute("a", port, HandshakeLoad.NameA, backends.PortA),
            DomainRoute("b", port, HandshakeLoad.NameB, backends.PortB),
        ];
        return ProxyProcess.StartAsync(Proxy.Name, port, routes, 1000, udp: false, lifetime, cancellation);
    }

    private static object DomainRoute(string id, int port, string domain, int target) => new
    {
        Id = id,
        Match = new { Ports = new[] { port }, Domains = new[] { domain } },
        Action = new { Type = "Forward", Targets = new[] { $"127.0.0.1:{target}" } },
    };

    /// <summary>The ClientHello is waited for (at most 5 s) before the SNI is read; no default backend, so an unknown
    /// name is closed as this proxy closes it.</summary>
    private static async Task<RunningContender> StartHaproxyAsync(int port, SniBackends backends, TimeSpan lifetime, CancellationToken cancellation)
    {
        var work = Contender.NewWorkDirectory("haproxy-sni");
        var config = Path.Combine(work.FullName, "haproxy.cfg");
        var text = string.Create(CultureInfo.InvariantCulture, $$"""
            global
                nbthread 1
                maxconn 5000

            defaults
                mode tcp
                timeout connect 5s
                timeout client 1m
                timeout server 1m

            frontend sni
                bind 127.0.0.1:{{port}}
                tcp-request inspect-delay 5s
                tcp-request content accept if { req_ssl_hello_type 1 }
                use_backend a if { req_ssl_sni -i {{HandshakeLoad.NameA}} }
                use_backend b if { req_ssl_sni -i {{HandshakeLoad.NameB}} }

            backend a
                server a 127.0.0.1:{{backends.PortA}}

            backend b
                server b 127.0.0.1:{{backends.PortB}}

            """);
        await File.WriteAllTextAsync(config, text, cancellation).ConfigureAwait(false);
        var process = Pinned.Start(Pinned.ProxyCore, "haproxy", ["-db", "-f", config], lifetime, work.FullName);
        return await Contender.WaitReadyAsync(Haproxy.Name, port, process, work, cancellation).ConfigureAwait(false);
    }

    private static async Task<RunningContender> StartNginxAsync(int port, SniBackends backends, TimeSpan lifetime, CancellationToken cancellation)
    {
        var work = Contender.NewWorkDirectory("nginx-sni");
        var config = Path.Combine(work.FullName, "nginx.conf");
        var text = string.Create(CultureInfo.InvariantCulture, $$"""
            load_module {{NginxConfig.StreamModule}};
            {{NginxConfig.MainContext(work, 20000)}}

            stream {
                map $ssl_preread_server_name $upstream {
                    {{HandshakeLoad.NameA}} 127.0.0.1:{{backends.PortA}};
                    {{HandshakeLoad.NameB}} 127.0.0.1:{{backends.PortB}};
                }

                server {
                    listen 127.0.0.1:{{port}};
                    ssl_preread on;
                    proxy_pass $upstream;
                    proxy_timeout 1m;
                }
            }

            """);
        await File.WriteAllTextAsync(config, text, cancellation).ConfigureAwait(false);
        var process = Pinned.Start(
            Pinned.ProxyCore, "nginx", ["-p", work.FullName, "-e", Path.Combine(work.FullName, "error.log"), "-c", config], lifetime, work.FullName);
        return await Contender.WaitReadyAsync(Nginx.Name, port, process, work, cancellation).ConfigureAwait(false);
    }
}
