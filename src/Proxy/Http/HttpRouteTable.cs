using System.Text;
using Proxy.Routing;
using YarpCluster = Yarp.ReverseProxy.Configuration.ClusterConfig;
using YarpRoute = Yarp.ReverseProxy.Configuration.RouteConfig;

namespace Proxy.Http;

/// <summary>Derives YARP's routes and clusters from a snapshot's HTTP routes, tagging each with its ports and version.</summary>
internal static class HttpRouteTable
{
    public static (IReadOnlyList<YarpRoute> Routes, IReadOnlyList<YarpCluster> Clusters) Build(IReadOnlyList<Route> routes, long version)
    {
        var yarpRoutes = new List<YarpRoute>();
        var clusters = new List<YarpCluster>();
        foreach (var route in routes)
        {
            if (route.Action is not IHttpRouteAction http)
            {
                continue;
            }

            var ports = new StringBuilder();
            foreach (var range in route.Ports)
            {
                ports.Append(ports.Length == 0 ? string.Empty : ",").Append(range.ToString());
            }

            var metadata = new Dictionary<string, string>(http.YarpRoute.Metadata ?? new Dictionary<string, string>())
            {
                [HttpMetadata.Ports] = ports.ToString(),
                [HttpMetadata.Version] = version.ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
            yarpRoutes.Add(http.YarpRoute with { Metadata = metadata });
            if (http.YarpCluster is { } cluster)
            {
                clusters.Add(cluster);
            }
        }

        return (yarpRoutes, clusters);
    }
}
