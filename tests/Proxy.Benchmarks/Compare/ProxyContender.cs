using System.Text.Json;

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
            new
            {
                Id = "bench",
                Match = new { Ports = new[] { port } },
                Action = new { Type = "Forward", Targets = new[] { $"127.0.0.1:{targetPort}" } },
            },
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
            new
            {
                Id = "bench",
                Match = new { Ports = new[] { port } },
                Action = new { Type = "Forward", Targets = new[] { $"127.0.0.1:{targetPort}" } },
            },
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

    private async Task<RunningContender> StartAsync(int port, object[] routes, int maxConnections, bool udp, TimeSpan lifetime, CancellationToken cancellation)
    {
        if (!File.Exists(RepositoryPaths.ProxyDll))
        {
            throw new InvalidOperationException($"{RepositoryPaths.ProxyDll} is missing: run `dotnet build -c Release src/Proxy` first.");
        }

        var work = NewWorkDirectory("proxy");
        var settings = new
        {
            Serilog = new
            {
                Using = new[] { "Serilog.Sinks.Console" },
                MinimumLevel = new { Default = "Warning" },
                WriteTo = new[] { new { Name = "Console" } },
            },
            Proxy = new
            {
                BindAddress = "127.0.0.1",
                Admin = new { Urls = new[] { $"http://127.0.0.1:{LoopbackPorts.Free()}" } },
                Store = new { Path = Path.Combine(work.FullName, "proxy.db") },
                Limits = new { MaxConnections = maxConnections + 1000, MaxConnectionsPerIp = maxConnections + 1000 },
                Routes = routes,
            },
        };
        await File.WriteAllTextAsync(Path.Combine(work.FullName, "appsettings.json"), JsonSerializer.Serialize(settings), cancellation)
            .ConfigureAwait(false);

        // The content root is the working directory, which holds the appsettings.json above.
        var process = Pinned.Start(Pinned.ProxyCore, "dotnet", [RepositoryPaths.ProxyDll], lifetime, work.FullName);
        return await WaitReadyAsync(Name, port, process, work, cancellation, udp).ConfigureAwait(false);
    }
}
