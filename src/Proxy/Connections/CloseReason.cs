namespace Proxy.Connections;

/// <summary>How a proxied connection ended; logged in its summary line and counted per route.</summary>
internal enum CloseReason
{
    /// <summary>Both sides finished normally.</summary>
    Completed,
    ClientReset,
    TargetReset,
    IdleTimeout,
    ServerShutdown,
    LimitTotal,
    LimitPerIp,
    RouteLimit,
    Acl,
    RouteAcl,
    ProxyProtocolUntrusted,
    ProxyProtocolMissing,
    ProxyProtocolInvalid,
    PeekTimeout,
    PeekTooLarge,
    NotTls,
    InvalidClientHello,
    NoRoute,
    PortNotRouted,
    Blocked,
    ConnectFailed,
    HandlerError,
}
