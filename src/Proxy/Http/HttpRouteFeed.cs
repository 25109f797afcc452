using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Proxy.Configuration;
using Proxy.Routing;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Configuration;

namespace Proxy.Http;

/// <summary>Feeds a snapshot's HTTP routes to YARP (its in-memory provider swaps them atomically) and tells when YARP
/// has applied them, so a change is reported done only when its HTTP routes serve.</summary>
internal sealed class HttpRouteFeed(InMemoryConfigProvider provider, IConfigValidator validator, IServiceProvider services)
{
    private static readonly TimeSpan ApplyWait = TimeSpan.FromSeconds(10);

    /// <summary>YARP's own validation (route templates, transforms, policies), reported with our route ids.</summary>
    public async Task<IReadOnlyList<ConfigError>> ValidateAsync(ProxySnapshot snapshot)
    {
        var errors = new List<ConfigError>();
        foreach (var route in snapshot.HttpRoutes)
        {
            foreach (var error in await validator.ValidateRouteAsync(route).ConfigureAwait(false))
            {
                errors.Add(new ConfigError(route.RouteId, "Match", error.Message));
            }
        }

        foreach (var cluster in snapshot.HttpClusters)
        {
            foreach (var error in await validator.ValidateClusterAsync(cluster).ConfigureAwait(false))
            {
                errors.Add(new ConfigError(cluster.ClusterId, "Action", error.Message));
            }
        }

        return errors;
    }

    public void Publish(ProxySnapshot snapshot) => provider.Update(snapshot.HttpRoutes, snapshot.HttpClusters);

    /// <summary>Waits until YARP serves exactly the snapshot's routes; false if it did not within a few seconds.</summary>
    public async Task<bool> WaitAppliedAsync(ProxySnapshot snapshot, CancellationToken cancellationToken)
    {
        var lookup = services.GetRequiredService<IProxyStateLookup>();
        var version = snapshot.Version.ToString(CultureInfo.InvariantCulture);
        var deadline = DateTime.UtcNow + ApplyWait;
        while (true)
        {
            var count = 0;
            var current = true;
            foreach (var route in lookup.GetRoutes())
            {
                count++;
                current &= route.Config.Metadata?.GetValueOrDefault(HttpMetadata.Version) == version;
            }

            if (current && count == snapshot.HttpRoutes.Count)
            {
                return true;
            }

            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }
    }
}
