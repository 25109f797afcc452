using System.Collections.Frozen;
using Proxy.Networking;
using YarpCluster = Yarp.ReverseProxy.Configuration.ClusterConfig;
using YarpRoute = Yarp.ReverseProxy.Configuration.RouteConfig;

namespace Proxy.Routing;

/// <summary>One immutable, validated configuration: swapped whole, never changed in place.</summary>
internal sealed class ProxySnapshot
{
    /// <summary>Nothing configured: what runs before the first configuration loads.</summary>
    public static ProxySnapshot Empty { get; } = new()
    {
        Version = 0,
        Routes = [],
        Ports = FrozenDictionary<int, PortRoutes>.Empty,
        Acl = new AccessList(NetworkList.Empty, NetworkList.Empty),
        Limits = EffectiveLimits.Defaults,
    };

    public required long Version { get; init; }

    public required IReadOnlyList<Route> Routes { get; init; }

    public required FrozenDictionary<int, PortRoutes> Ports { get; init; }

    public required AccessList Acl { get; init; }

    public required EffectiveLimits Limits { get; init; }

    /// <summary>The YARP routes of every HTTP route, fed to YARP in the same swap.</summary>
    public IReadOnlyList<YarpRoute> HttpRoutes { get; init; } = [];

    public IReadOnlyList<YarpCluster> HttpClusters { get; init; } = [];

    /// <summary>UDP ports, served beside Kestrel by the UDP listeners; one route per port.</summary>
    public FrozenDictionary<int, UdpPortRoute> UdpPorts { get; init; } = FrozenDictionary<int, UdpPortRoute>.Empty;

    /// <summary>Whether relays may move bulk streams with <c>splice(2)</c> (see <c>Forwarding/SplicePipe</c>).</summary>
    public bool Splice { get; init; } = true;
}
