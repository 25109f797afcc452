using System.Collections.Concurrent;
using Proxy.Connections;
using Proxy.Routing;

namespace Proxy.Metrics;

/// <summary>Process-wide counters: connections by how they ended, live connections, and per-route stats.</summary>
internal sealed class ProxyMetrics
{
    private readonly long[] _closed = new long[Enum.GetValues<CloseReason>().Length];
    private readonly ConcurrentDictionary<string, RouteStats> _routes = new(StringComparer.Ordinal);
    private readonly long[] _activeByPort = new long[65536];
    private readonly long[] _udpDrops = new long[Enum.GetValues<Udp.UdpDrop>().Length];
    private long _active;

    public DateTimeOffset Started { get; } = DateTimeOffset.UtcNow;

    public long Active => Interlocked.Read(ref _active);

    public long Closed(CloseReason reason) => Interlocked.Read(ref _closed[(int)reason]);

    /// <summary>The stats of a route id in force (so a route that a change keeps keeps counting), or new ones that
    /// <see cref="Applied"/> registers if the snapshot compiled with them goes into force: a dry run or a rejected change
    /// leaves nothing behind in /metrics.</summary>
    public RouteStats Route(string routeId) => _routes.TryGetValue(routeId, out var stats) ? stats : new RouteStats(routeId);

    public IEnumerable<RouteStats> Routes => _routes.Values;

    /// <summary>Registers the stats of <paramref name="snapshot"/>'s routes and drops those of route ids it no longer has
    /// once their last connection has closed (as HAProxy's stats lose a removed backend), so routes created and deleted
    /// through the API do not pile up.</summary>
    public void Applied(ProxySnapshot snapshot)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var route in snapshot.Routes)
        {
            ids.Add(route.Id);
            _routes.TryAdd(route.Id, route.Stats);
        }

        foreach (var (id, stats) in _routes)
        {
            if (!ids.Contains(id) && stats.Active == 0)
            {
                _routes.TryRemove(new KeyValuePair<string, RouteStats>(id, stats));
            }
        }
    }

    /// <summary>Counts a connection in unless <paramref name="limit"/> connections are already open.</summary>
    public bool TryOpen(int limit)
    {
        if (Interlocked.Increment(ref _active) > limit)
        {
            Interlocked.Decrement(ref _active);
            return false;
        }

        return true;
    }

    public void Release() => Interlocked.Decrement(ref _active);

    public void CountClosed(CloseReason reason) => Interlocked.Increment(ref _closed[(int)reason]);

    public void CountUdpDrop(Udp.UdpDrop reason) => Interlocked.Increment(ref _udpDrops[(int)reason]);

    public long UdpDrops(Udp.UdpDrop reason) => Interlocked.Read(ref _udpDrops[(int)reason]);

    /// <summary>Connections open on a port now (route ports only).</summary>
    public long ActiveOnPort(int port) => Interlocked.Read(ref _activeByPort[port]);

    public void PortOpened(int port) => Interlocked.Increment(ref _activeByPort[port]);

    public void PortClosed(int port) => Interlocked.Decrement(ref _activeByPort[port]);
}
