namespace Proxy.Udp;

/// <summary>Why a UDP datagram was dropped.</summary>
internal enum UdpDrop
{
    /// <summary>The source is refused by the global or route ACL (or the route's ClientIps).</summary>
    Acl,

    /// <summary>A new flow would exceed the route's flow caps (total or per client address).</summary>
    FlowLimit,

    /// <summary>The target could not be resolved or connected.</summary>
    TargetUnavailable,
}
