using System.Diagnostics;
using System.Net;

namespace Proxy.Forwarding;

/// <summary>One <c>host:port</c> target of a Forward route, with its passive and active health and live connection count.</summary>
/// <param name="address">The target as configured, for logs.</param>
/// <param name="port">The target's port.</param>
/// <param name="literal">The host when it is an address literal; null for a host name.</param>
/// <param name="addresses">For a host name, its resolved addresses; null for an address literal (exactly one of this and
/// <paramref name="literal"/> is given).</param>
internal sealed class ForwardTarget(string address, int port, IPAddress? literal, TargetAddresses? addresses)
{
    /// <summary>Failed probes in a row that take a target out (YARP's ConsecutiveFailures default, as HTTP routes use).</summary>
    public const int ProbeFailuresToDown = 2;

    private int _consecutiveFailures;
    private int _failedProbes;
    private int _probedDown; // 1 while probes keep the target out
    private long _downUntil;
    private int _active;

    public int Port { get; } = port;

    /// <summary>Where to dial when the host is an address literal (parsed once, not per connection); null for a host name.</summary>
    public IPEndPoint? EndPoint { get; } = literal is null ? null : new IPEndPoint(literal, port);

    /// <summary>What a host name resolves to, kept between connections; null for an address literal.</summary>
    public TargetAddresses? Addresses { get; } = addresses;

    /// <summary>The target as configured, for logs.</summary>
    public string Address { get; } = address;

    public int ActiveConnections => Volatile.Read(ref _active);

    public bool IsHealthy => !IsProbedDown && Stopwatch.GetTimestamp() >= Volatile.Read(ref _downUntil);

    /// <summary>Whether active probes have taken the target out (passive health aside).</summary>
    public bool IsProbedDown => Volatile.Read(ref _probedDown) == 1;

    /// <summary>Records an active probe: the <see cref="ProbeFailuresToDown"/>-th failure in a row takes the target out,
    /// the first success brings it back. Returns whether that changed the target's state (exactly once per change, even
    /// while the probe of a replaced snapshot still finishes beside the new one).</summary>
    public bool Probed(bool succeeded)
    {
        if (succeeded)
        {
            Volatile.Write(ref _failedProbes, 0);
            return Interlocked.Exchange(ref _probedDown, 0) == 1;
        }

        return Interlocked.Increment(ref _failedProbes) >= ProbeFailuresToDown && Interlocked.Exchange(ref _probedDown, 1) == 0;
    }

    /// <summary>Probing of this target has stopped (its route no longer has <c>HealthCheck.Active</c>): what the probes
    /// decided no longer holds, so a probed-down target is handed clients again (passive health still applies).</summary>
    public void ProbesStopped()
    {
        Volatile.Write(ref _failedProbes, 0);
        Volatile.Write(ref _probedDown, 0);
    }

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
