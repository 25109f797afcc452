using System.Collections.Concurrent;
using Proxy.Connections;
using Proxy.Destinations;
using Proxy.Http;
using Proxy.Tls;
using YarpCluster = Yarp.ReverseProxy.Configuration.ClusterConfig;
using YarpRoute = Yarp.ReverseProxy.Configuration.RouteConfig;

namespace Proxy.Relay;

/// <summary>The egress side of the relay, placed like any HTTP route (so it can sit behind TLS termination on 443 beside
/// other routes). At the connection level it hands on to the HTTP pipeline; <see cref="RelayMiddleware"/> serves the
/// WebSocket requests YARP matches to it.</summary>
internal sealed class RelayAction(YarpRoute route, ServerCertificate? certificate, RelayTokens tokens, DestinationPolicy policy,
    int maxTunnels, int maxTunnelsPerToken, (TimeSpan Interval, TimeSpan Timeout) keepAlive) : IHttpRouteAction
{
    private readonly ConcurrentDictionary<string, int> _perToken = new(StringComparer.Ordinal);
    private int _tunnels;

    public ServerCertificate? Certificate => certificate;

    public YarpRoute YarpRoute => route;

    public YarpCluster? YarpCluster => null;

    public string MatchKey => "relay|" + route.Match.Path;

    public RelayTokens Tokens => tokens;

    public DestinationPolicy Policy => policy;

    public (TimeSpan Interval, TimeSpan Timeout) KeepAlive => keepAlive;

    public Task ExecuteAsync(ProxyConnection connection)
    {
        connection.Target = certificate is null ? "http" : "https";
        return connection.Next!(connection.Context);
    }

    /// <summary>Counts a tunnel in unless the total or the token's limit is reached.</summary>
    public bool TryOpenTunnel(string tokenId)
    {
        if (Interlocked.Increment(ref _tunnels) > maxTunnels)
        {
            Interlocked.Decrement(ref _tunnels);
            return false;
        }

        if (_perToken.AddOrUpdate(tokenId, 1, static (_, n) => n + 1) > maxTunnelsPerToken)
        {
            CloseTunnel(tokenId);
            return false;
        }

        return true;
    }

    public void CloseTunnel(string tokenId)
    {
        Interlocked.Decrement(ref _tunnels);
        _perToken.AddOrUpdate(tokenId, 0, static (_, n) => n - 1);
        _perToken.TryRemove(new KeyValuePair<string, int>(tokenId, 0));
    }
}
