using Proxy.Connections;
using Proxy.Tls;
using YarpCluster = Yarp.ReverseProxy.Configuration.ClusterConfig;
using YarpRoute = Yarp.ReverseProxy.Configuration.RouteConfig;

namespace Proxy.Http;

/// <summary>The connection-level half of an HTTP route: hands the connection on to Kestrel's pipeline (TLS termination
/// with the SNI's certificate, then HTTP/1.1 or HTTP/2), where YARP routes each request.</summary>
internal sealed class HttpRouteAction(YarpRoute route, YarpCluster? cluster, ServerCertificate? certificate, string matchKey) : IHttpRouteAction
{
    public ServerCertificate? Certificate => certificate;

    public YarpRoute YarpRoute => route;

    public YarpCluster? YarpCluster => cluster;

    public string MatchKey => matchKey;

    public Task ExecuteAsync(ProxyConnection connection)
    {
        connection.Target = certificate is null ? "http" : "https";
        return connection.Next!(connection.Context);
    }
}
