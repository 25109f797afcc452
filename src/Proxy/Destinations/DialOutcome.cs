namespace Proxy.Destinations;

/// <summary>How dialing a destination ended, in terms every front end maps to its own answer
/// (CONNECT status, SOCKS5 reply code, relay error header).</summary>
public enum DialOutcome
{
    Connected,

    /// <summary>The destination policy refuses it (CONNECT 403, SOCKS 02).</summary>
    Forbidden,

    /// <summary>The name does not resolve (CONNECT 502, SOCKS 04).</summary>
    DnsFailed,

    /// <summary>The destination refused the connection (CONNECT 502, SOCKS 05).</summary>
    Refused,

    /// <summary>No route to the network (CONNECT 502, SOCKS 03).</summary>
    NetworkUnreachable,

    /// <summary>No route to the host (CONNECT 502, SOCKS 04).</summary>
    HostUnreachable,

    /// <summary>No answer in time (CONNECT 504, SOCKS 06).</summary>
    TimedOut,

    /// <summary>Anything else (CONNECT 502, SOCKS 01).</summary>
    Failed,
}
