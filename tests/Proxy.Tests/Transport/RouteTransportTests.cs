using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.DependencyInjection;
using Proxy.Handlers;
using Proxy.Tests.Admin;
using Proxy.Tests.Http;
using Proxy.Tests.Infrastructure;
using Proxy.Transport;
using static Proxy.Tests.Infrastructure.TestRoutes;

namespace Proxy.Tests.Transport;

/// <summary>Which transport a port's connections get: layer-4 ports the take-over connection, ports Kestrel's HTTP
/// pipeline serves Kestrel's own socket connection; and the choice follows the routes as they change. The listener runs
/// the chain on layer-4 connections itself, so it also does Kestrel's part at shutdown: ask them to finish, then abort
/// those still open when the shutdown timeout passes.</summary>
public sealed class RouteTransportTests
{
    [Fact]
    public async Task A_layer4_port_offers_its_socket_and_a_port_that_serves_http_does_not()
    {
        var (streams, http) = (TestClient.FreePort(), TestClient.FreePort());
        await using var proxy = await ProxyTestHost.StartAsync(Routes(Probe("l4", streams), ProbeFirst("mixed", http), HttpRoutes.HttpRoute("web", http, "http://127.0.0.1:9")), WithProbe);

        Assert.Equal("takeover", await AskAsync(streams));
        Assert.Equal(KestrelWithLargeBlocks, await AskAsync(http));
    }

    [Fact]
    public async Task A_port_that_gains_an_http_route_serves_its_next_connections_through_kestrel()
    {
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Routes(ProbeFirst("probe", port)), WithProbe);
        Assert.Equal("takeover", await AskAsync(port));

        Assert.True(await proxy.ReloadAsync(Routes(ProbeFirst("probe", port), HttpRoutes.HttpRoute("web", port, "http://127.0.0.1:9"))));
        Assert.Equal(KestrelWithLargeBlocks, await AskAsync(port));

        Assert.True(await proxy.ReloadAsync(Routes(ProbeFirst("probe", port))));
        Assert.Equal("takeover", await AskAsync(port));
    }

    [Fact]
    public async Task Stopping_the_proxy_asks_a_live_layer4_connection_to_finish_and_waits_for_it()
    {
        var port = TestClient.FreePort();
        var handler = new StopProbe(honorsStop: true);
        await using var proxy = await ProxyTestHost.StartAsync(Routes(Handler(handler.Name, port, handler.Name)), handler.Register);
        using var client = await ReadyClientAsync(port);

        using var timeout = new CancellationTokenSource(TestTimeouts.Reload);
        var stop = proxy.App.StopAsync(timeout.Token);

        // The handler saw its stopping token and finished on its own: its last words arrive, then the end of the stream.
        Assert.Equal("stopped", await client.ReadToEndTextAsync());
        await stop.WaitAsync(TestTimeouts.Io);
        Assert.False(timeout.IsCancellationRequested);
    }

    [Fact]
    public async Task A_layer4_connection_that_ignores_the_stop_is_aborted_when_the_shutdown_timeout_passes()
    {
        var port = TestClient.FreePort();
        var handler = new StopProbe(honorsStop: false);
        await using var proxy = await ProxyTestHost.StartAsync(Routes(Handler(handler.Name, port, handler.Name)), handler.Register);
        using var client = await ReadyClientAsync(port);

        using var shutdownTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        await proxy.App.StopAsync(shutdownTimeout.Token).WaitAsync(TestTimeouts.Io);

        Assert.True(handler.Aborted.Task.IsCompleted); // Its connection was aborted under it...
        Assert.True(await client.IsClosedByPeerAsync()); // ...and the client sees the end, without "stopped".
    }

    [Fact]
    public async Task A_layer4_connection_keeps_its_route_when_the_port_turns_http_and_the_next_connection_is_served_over_http()
    {
        var port = TestClient.FreePort();
        await using var echo = TcpBackend.Echo();
        await using var web = await HttpBackend.StartAsync("web");
        object Section(params object[] routes) => new
        {
            Ports = new Dictionary<string, object> { [Port(port)] = new { ProxyProtocol = new { Mode = "Required", TrustedNetworks = new[] { "127.0.0.1/32" } } } },
            Routes = routes,
        };
        await using var proxy = await ProxyTestHost.StartAsync(Section(Forward("tcp", port, echo.Address)));

        // Accepted while the port had only its layer-4 route: the listener runs its chain, which waits for the PROXY header.
        using var early = await TestClient.ConnectAsync(port);
        await WaitForActiveAsync(proxy, port, 1);
        Assert.True(await proxy.ReloadAsync(Section(HttpRoutes.HttpRoute("web", port, web.Url))));

        // The chain took its configuration when it started: the removed Forward route still serves this connection.
        var header = $"PROXY TCP4 203.0.113.7 127.0.0.1 5555 {port}\r\n";
        await early.SendAsync(header + "hello");
        Assert.Equal("hello", await early.ReadTextAsync(5));

        using var late = await TestClient.ConnectAsync(port);
        await late.SendAsync(header + "GET / HTTP/1.1\r\nHost: web\r\nConnection: close\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200", await late.ReadToEndTextAsync(), StringComparison.Ordinal);
    }

    private const string KestrelWithLargeBlocks = "pipes:32768";

    /// <summary>Until /metrics counts <paramref name="count"/> open connections on the port (a connection's chain is
    /// running once it is counted; a connect alone only says the kernel's backlog took it).</summary>
    private static async Task WaitForActiveAsync(ProxyTestHost proxy, int port, double count)
    {
        using var admin = new AdminClient(proxy.AdminUrl);
        var deadline = DateTime.UtcNow + TestTimeouts.Io;
        while (true)
        {
            using var response = await admin.GetAsync("/metrics");
            var samples = PrometheusParser.Parse(await response.Content.ReadAsStringAsync());
            if (samples.TryGetValue($"proxy_port_connections_active{{port=\"{port}\"}}", out var active) && active == count)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"port {port} never had {count} open connections");
        }
    }

    /// <summary>A client connected to the port of a route to a <see cref="StopProbe"/>, once it has read "ready".</summary>
    private static async Task<Socket> ReadyClientAsync(int port)
    {
        var client = await TestClient.ConnectAsync(port);
        Assert.Equal("ready", await client.ReadTextAsync(5));
        return client;
    }

    /// <summary>Says "ready", then waits: for its stopping token (and says "stopped") or, ignoring it, for its connection
    /// to be aborted.</summary>
    private sealed class StopProbe(bool honorsStop) : IConnectionRouteHandler
    {
        public string Name => honorsStop ? "stopper" : "stubborn";

        public TaskCompletionSource Aborted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Register(Microsoft.AspNetCore.Builder.WebApplicationBuilder builder) => builder.Services.AddSingleton<IConnectionRouteHandler>(this);

        public async Task HandleAsync(ConnectionContext connection, CancellationToken stopping)
        {
            await connection.Transport.Output.WriteAsync("ready"u8.ToArray(), CancellationToken.None);
            var waitFor = honorsStop ? stopping : connection.ConnectionClosed;
            await Task.Delay(Timeout.Infinite, waitFor).ContinueWith(_ => { }, TaskScheduler.Default);
            if (honorsStop)
            {
                await connection.Transport.Output.WriteAsync("stopped"u8.ToArray(), CancellationToken.None);
            }
            else
            {
                Aborted.SetResult();
            }
        }
    }

    private static void WithProbe(Microsoft.AspNetCore.Builder.WebApplicationBuilder builder)
        => builder.Services.AddSingleton<IConnectionRouteHandler, TransportProbe>();

    private static object Probe(string id, int port) => Handler(id, port, "probe");

    /// <summary>Outranks an HTTP route on the same port, so the probe sees every connection there.</summary>
    private static object ProbeFirst(string id, int port)
        => new { Id = id, Priority = 10, Match = new { Ports = new[] { Port(port) } }, Action = new { Type = "Handler", Handler = "probe" } };

    private static async Task<string> AskAsync(int port)
    {
        using var client = await TestClient.ConnectAsync(port);
        return await client.ReadToEndTextAsync();
    }

    /// <summary>Says whether the connection it is given could hand its socket over.</summary>
    private sealed class TransportProbe : IConnectionRouteHandler
    {
        public string Name => "probe";

        public async Task HandleAsync(ConnectionContext connection, CancellationToken stopping)
        {
            // Kestrel's connections say which pool their pipes read into: the proxy's 32 KiB blocks, not Kestrel's 4 KiB.
            var answer = connection.Features.Get<ISocketTakeoverFeature>() is not null
                ? "takeover"
                : "pipes:" + connection.Features.Get<IMemoryPoolFeature>()?.MemoryPool.MaxBufferSize.ToString(CultureInfo.InvariantCulture);
            await connection.Transport.Output.WriteAsync(Encoding.ASCII.GetBytes(answer), stopping);
        }
    }
}
