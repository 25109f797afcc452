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
    public static void Install(ListenOptions listen, IServiceProvider services)
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
    }
}
