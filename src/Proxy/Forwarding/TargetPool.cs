using System.Net;

namespace Proxy.Forwarding;

/// <summary>The targets of one Forward route: picks where to start (load balancing) and the order to fail over in.</summary>
internal sealed class TargetPool(ForwardTarget[] targets, LoadBalancingPolicy policy, int maxFailures, TimeSpan coolDown, TargetProbe? probe = null)
{
    private int _next = -1;

    /// <summary>The targets as listed, in order: a target listed twice (to weigh it) is there twice, as one object.</summary>
    public IReadOnlyList<ForwardTarget> Targets => targets;

    /// <summary>Each target once, in order of first listing: what is probed, reported and handed to the next snapshot.</summary>
    public IReadOnlyList<ForwardTarget> Distinct { get; } = [.. targets.Distinct()];

    /// <summary>How the targets are probed (<c>HealthCheck.Active</c>), if they are.</summary>
    public TargetProbe? Probe => probe;

    public int MaxFailures => maxFailures;

    public TimeSpan CoolDown => coolDown;

    /// <summary>The index to start from; callers then walk the targets in order from it, skipping unhealthy ones
    /// (all of them are tried when none is healthy, rather than refusing outright).</summary>
    public int Start(IPAddress client)
    {
        if (targets.Length == 1)
        {
            return 0;
        }

        switch (policy)
        {
            case LoadBalancingPolicy.LeastConnections:
                var best = -1;
                for (var i = 0; i < targets.Length; i++)
                {
                    if (targets[i].IsHealthy && (best < 0 || targets[i].ActiveConnections < targets[best].ActiveConnections))
                    {
                        best = i;
                    }
                }

                return best < 0 ? 0 : best;
            case LoadBalancingPolicy.Random:
                return System.Random.Shared.Next(targets.Length);
            case LoadBalancingPolicy.ClientIpHash:
                return (int)(Hash(client) % (uint)targets.Length);
            default:
                return (int)((uint)Interlocked.Increment(ref _next) % (uint)targets.Length);
        }
    }

    /// <summary>FNV-1a over the address bytes: stable across processes, unlike <see cref="object.GetHashCode"/>.</summary>
    private static uint Hash(IPAddress client)
    {
        if (client.IsIPv4MappedToIPv6)
        {
            client = client.MapToIPv4();
        }

        Span<byte> bytes = stackalloc byte[16];
        client.TryWriteBytes(bytes, out var written);
        var hash = 2166136261u;
        foreach (var b in bytes[..written])
        {
            hash = (hash ^ b) * 16777619u;
        }

        return hash;
    }
}
