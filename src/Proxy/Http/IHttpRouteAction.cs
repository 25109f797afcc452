using Proxy.Routing;
using Proxy.Tls;
using YarpRoute = Yarp.ReverseProxy.Configuration.RouteConfig;
using YarpCluster = Yarp.ReverseProxy.Configuration.ClusterConfig;

namespace Proxy.Http;

/// <summary>An action served by Kestrel's HTTP pipeline and YARP rather than at the connection level.</summary>
internal interface IHttpRouteAction : IRouteAction
{
    /// <summary>The certificate that terminates TLS for this route's domains; null for plain HTTP.</summary>
    ServerCertificate? Certificate { get; }

    /// <summary>The YARP route (without the port metadata, which the route table adds).</summary>
    YarpRoute YarpRoute { get; }

    /// <summary>The YARP cluster of the route's targets; null for routes answered by the proxy itself (redirects).</summary>
    YarpCluster? YarpCluster { get; }

    /// <summary>Request-level identity used for ambiguity checks: path template and methods.</summary>
    string MatchKey { get; }
}
