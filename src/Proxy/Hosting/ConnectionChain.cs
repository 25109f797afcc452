using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Proxy.Connections;
using Proxy.Metrics;
using Proxy.ProxyProtocol;
using Proxy.Routing;
using Proxy.Tls;

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

        listen.Use(next => new ProxyConnectionMiddleware(next, live, metrics, logger).OnConnectionAsync);
        listen.Use(next => new ConnectionLimitMiddleware(next, metrics).OnConnectionAsync);
        listen.Use(next => new ProxyProtocolMiddleware(next).OnConnectionAsync);
        listen.Use(next => new ClientFilterMiddleware(next, clients).OnConnectionAsync);
        listen.Use(next => new ClientHelloPeekMiddleware(next).OnConnectionAsync);
        listen.Use(next => new RouteSelectionMiddleware(next).OnConnectionAsync);

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
}
