using System.Collections.Concurrent;
using Proxy.Connections;

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

    public RouteStats Route(string routeId) => _routes.GetOrAdd(routeId, static id => new RouteStats(id));

    public IEnumerable<RouteStats> Routes => _routes.Values;

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
