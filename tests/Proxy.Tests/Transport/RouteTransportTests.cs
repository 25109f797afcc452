using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.DependencyInjection;
using Proxy.Handlers;
using Proxy.Tests.Http;
using Proxy.Tests.Infrastructure;
using Proxy.Transport;
using static Proxy.Tests.Infrastructure.TestRoutes;

namespace Proxy.Tests.Transport;

/// <summary>Which transport a port's connections get: layer-4 ports the take-over connection, ports Kestrel's HTTP
/// pipeline serves Kestrel's own socket connection; and the choice follows the routes as they change.</summary>
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

    private const string KestrelWithLargeBlocks = "pipes:32768";

    private static void WithProbe(Microsoft.AspNetCore.Builder.WebApplicationBuilder builder)
        => builder.Services.AddSingleton<IConnectionRouteHandler, TransportProbe>();

    private static object Probe(string id, int port)
        => new { Id = id, Match = new { Ports = new[] { Port(port) } }, Action = new { Type = "Handler", Handler = "probe" } };

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
