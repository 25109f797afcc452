using System.Diagnostics;
using System.Net;

namespace Proxy.Forwarding;

/// <summary>One <c>host:port</c> target of a Forward route, with its passive health and live connection count.</summary>
internal sealed class ForwardTarget(string host, int port, string address)
{
    private int _consecutiveFailures;
    private long _downUntil;
    private int _active;

    public string Host { get; } = host;

    public int Port { get; } = port;

    /// <summary>Where to dial: parsed once when the host is an address literal (no parse per connection), else
    /// resolved at each connect.</summary>
    public EndPoint EndPoint { get; } = IPAddress.TryParse(host, out var ip) ? new IPEndPoint(ip, port) : new DnsEndPoint(host, port);

    /// <summary>The target as configured, for logs.</summary>
    public string Address { get; } = address;

    public int ActiveConnections => Volatile.Read(ref _active);

    public bool IsHealthy => Stopwatch.GetTimestamp() >= Volatile.Read(ref _downUntil);

    public void ConnectionOpened()
    {
        Interlocked.Increment(ref _active);
        Interlocked.Exchange(ref _consecutiveFailures, 0);
    }

    public void ConnectionClosed() => Interlocked.Decrement(ref _active);

    /// <summary>Counts a failed connect; the <paramref name="maxFailures"/>-th in a row takes the target out for <paramref name="coolDown"/>.</summary>
    public bool ConnectFailed(int maxFailures, TimeSpan coolDown)
    {
        if (Interlocked.Increment(ref _consecutiveFailures) < maxFailures)
        {
            return false;
        }

        // After the cool-down one connection is let through; if it fails too, the target goes down again at once.
        Interlocked.Exchange(ref _consecutiveFailures, maxFailures - 1);
        Volatile.Write(ref _downUntil, Stopwatch.GetTimestamp() + (long)(coolDown.TotalSeconds * Stopwatch.Frequency));
        return true;
    }
}
