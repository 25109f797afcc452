using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Proxy.Routing;

namespace Proxy.Hosting;

/// <summary>Lets the live connections of a removed route finish, and closes those still open after the drain timeout
/// (<c>Proxy:Admin:DrainTimeout</c>). When the route's port goes away with it, Kestrel's own endpoint shutdown bounds
/// the drain (it aborts an unbound endpoint's connections after about 5 s).</summary>
internal sealed partial class RouteDrain(ILogger<RouteDrain> logger)
{
    public static TimeSpan DefaultTimeout { get; } = TimeSpan.FromSeconds(30);

    public void RoutesRemoved(ProxySnapshot previous, ProxySnapshot next, TimeSpan? timeout)
    {
        List<Route>? removed = null;
        foreach (var route in previous.Routes)
        {
            if (!Contains(next, route.Id) && !route.Stats.LiveConnections.IsEmpty)
            {
                (removed ??= []).Add(route);
            }
        }

        if (removed is not null)
        {
            _ = DrainAsync(removed, timeout ?? DefaultTimeout);
        }
    }

    private async Task DrainAsync(List<Route> removed, TimeSpan timeout)
    {
        await Task.Delay(timeout).ConfigureAwait(false);
        foreach (var route in removed)
        {
            var closed = 0;
            foreach (var connection in route.Stats.LiveConnections.Keys)
            {
                // Only connections of the removed route object: a route re-added under the same id keeps its own.
                if (ReferenceEquals(connection.Route, route))
                {
                    connection.Context.Abort(new ConnectionAbortedException($"Route '{route.Id}' was removed and its drain timeout passed."));
                    closed++;
                }
            }

            if (closed > 0)
            {
                Log.Drained(logger, route.Id, closed, timeout);
            }
        }
    }

    private static bool Contains(ProxySnapshot snapshot, string id)
    {
        foreach (var route in snapshot.Routes)
        {
            if (string.Equals(route.Id, id, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Route {RouteId} was removed: closed {Count} connections still open after {Timeout}")]
        public static partial void Drained(ILogger logger, string routeId, int count, TimeSpan timeout);
    }
}
