using System.Collections.Frozen;
using Proxy.Networking;
using YarpCluster = Yarp.ReverseProxy.Configuration.ClusterConfig;
using YarpRoute = Yarp.ReverseProxy.Configuration.RouteConfig;

namespace Proxy.Routing;

/// <summary>One immutable, validated configuration: swapped whole, never changed in place.</summary>
internal sealed class ProxySnapshot
{
    public required long Version { get; init; }

    public required IReadOnlyList<Route> Routes { get; init; }

    public required FrozenDictionary<int, PortRoutes> Ports { get; init; }

    public required AccessList Acl { get; init; }

    public required EffectiveLimits Limits { get; init; }

    /// <summary>The YARP routes of every HTTP route, fed to YARP in the same swap.</summary>
    public IReadOnlyList<YarpRoute> HttpRoutes { get; init; } = [];

    public IReadOnlyList<YarpCluster> HttpClusters { get; init; } = [];
}
