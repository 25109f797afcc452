using System.Collections.Concurrent;
using Proxy.Connections;

namespace Proxy.Metrics;

/// <summary>Counters of one route id; they outlive configuration reloads that keep the id.</summary>
internal sealed class RouteStats(string routeId)
{
    private long _connections;
    private long _active;
    private long _bytesFromClient;
    private long _bytesToClient;
    private long _bytesSpliced;
    private long _failures;

    public string RouteId { get; } = routeId;

    public long Connections => Interlocked.Read(ref _connections);

    public long Active => Interlocked.Read(ref _active);

    public long BytesFromClient => Interlocked.Read(ref _bytesFromClient);

    public long BytesToClient => Interlocked.Read(ref _bytesToClient);

    /// <summary>Of the bytes either way, those moved with <c>splice(2)</c>.</summary>
    public long BytesSpliced => Interlocked.Read(ref _bytesSpliced);

    /// <summary>Connections that ended with an error (connect failure, reset, refusal by the route).</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>The connections open on this route now, so a removed route can be drained.</summary>
    public ConcurrentDictionary<ProxyConnection, byte> LiveConnections { get; } = new();

    /// <summary>Concurrent connections on this route per client address, for the route's own per-IP limit.</summary>
    public ClientConnectionCounter Clients { get; } = new();

    /// <summary>Counts a new connection unless the route's total limit is reached.</summary>
    public bool TryOpen(int? limit)
    {
        if (Interlocked.Increment(ref _active) > (limit ?? long.MaxValue))
        {
            Interlocked.Decrement(ref _active);
            return false;
        }

        Interlocked.Increment(ref _connections);
        return true;
    }

    public void Close(long bytesFromClient, long bytesToClient, bool failed, long bytesSpliced = 0)
    {
        Interlocked.Decrement(ref _active);
        Interlocked.Add(ref _bytesFromClient, bytesFromClient);
        Interlocked.Add(ref _bytesToClient, bytesToClient);
        Interlocked.Add(ref _bytesSpliced, bytesSpliced);
        if (failed)
        {
            Interlocked.Increment(ref _failures);
        }
    }

    public void CountRefusal() => Interlocked.Increment(ref _failures);
}
