namespace Proxy.Forwarding;

/// <summary>How a Forward route picks the first target to try.</summary>
internal enum LoadBalancingPolicy
{
    RoundRobin,
    LeastConnections,
    Random,

    /// <summary>The same client address goes to the same target while the target set and health are unchanged.</summary>
    ClientIpHash,
}
