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

    /// <summary>A CONNECT or SOCKS client did not finish its handshake within its deadline.</summary>
    HandshakeTimeout,

    /// <summary>A CONNECT or SOCKS request that could not be parsed, or asked for something unsupported.</summary>
    BadRequest,

    /// <summary>Missing or wrong credentials.</summary>
    AuthFailed,

    /// <summary>The destination policy refused the destination.</summary>
    Forbidden,
    DnsFailed,
    TargetRefused,
    TargetUnreachable,
    TargetTimeout,
    HandlerError,
}
