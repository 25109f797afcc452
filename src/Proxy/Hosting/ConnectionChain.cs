using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Proxy.Connections;
using Proxy.Metrics;
using Proxy.ProxyProtocol;
using Proxy.Routing;
using Proxy.Tls;
using Proxy.Transport;

namespace Proxy.Hosting;

/// <summary>Installs the connection middleware chain on a route port's Kestrel endpoint:
/// summary/log → limits → PROXY protocol → ACL and per-IP limit → ClientHello peek → route selection and action.</summary>
internal static class ConnectionChain
{
    public static void Install(ListenOptions listen, IServiceProvider services, bool terminatesTls)
    {
        var live = services.GetRequiredService<LiveConfiguration>();
        var metrics = services.GetRequiredService<ProxyMetrics>();
        var clients = services.GetRequiredService<ClientConnectionCounter>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Proxy.Connections");

        Func<ConnectionDelegate, ConnectionDelegate>[] stages =
        [
            next => new ProxyConnectionMiddleware(next, live, metrics, logger).OnConnectionAsync,
            next => new ConnectionLimitMiddleware(next, metrics).OnConnectionAsync,
            next => new ProxyProtocolMiddleware(next).OnConnectionAsync,
            next => new ClientFilterMiddleware(next, clients).OnConnectionAsync,
            next => new ClientHelloPeekMiddleware(next).OnConnectionAsync,
            next => new RouteSelectionMiddleware(next).OnConnectionAsync,
        ];
        foreach (var stage in stages)
        {
            listen.Use(stage);
        }

        // The same chain for the connections the listener runs itself (accepted for layer-4 routes), ending where
        // Kestrel's HTTP pipeline would be: such a connection has none of Kestrel's per-connection features.
        ConnectionDelegate layerFour = RefuseHttp;
        for (var i = stages.Length - 1; i >= 0; i--)
        {
            layerFour = stages[i](layerFour);
        }

        services.GetRequiredService<LayerFourChains>().Register(listen.EndPoint, layerFour);

        // HTTP routes continue into Kestrel's own pipeline; on a TLS port its HTTPS middleware terminates first, with the
        // certificate of the route the chain chose. L4 actions never call it.
        if (terminatesTls)
        {
            listen.Protocols = HttpProtocols.Http1AndHttp2;
            listen.UseHttps(TlsTermination.Options);
        }
        else
        {
            listen.Protocols = HttpProtocols.Http1;
        }
    }

    /// <summary>An HTTP route chosen for a connection accepted as layer-4. The chain takes its configuration as it starts,
    /// on the accepting thread right after the transport chose by the same live routes, so only a reload landing
    /// between those two reads gets here. Refused (closed); the client's next connection is Kestrel's and served.</summary>
    private static Task RefuseHttp(ConnectionContext context)
    {
        context.Features.GetRequiredFeature<ProxyConnection>().Refuse(CloseReason.NoRoute);
        return Task.CompletedTask;
    }
}
