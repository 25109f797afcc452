namespace Proxy.Configuration;

/// <summary>Connection bounds; every member is optional so a route can override only some.</summary>
public sealed record LimitsConfig
{
    /// <summary>Concurrent connections in total (globally, or on the route).</summary>
    public int? MaxConnections { get; init; }

    /// <summary>Concurrent connections from one client address.</summary>
    public int? MaxConnectionsPerIp { get; init; }

    /// <summary>How long to wait for the bytes a port needs to choose a route (ClientHello, PROXY header).</summary>
    public TimeSpan? PeekTimeout { get; init; }

    /// <summary>How many bytes may be buffered while choosing a route.</summary>
    public int? PeekMaxBytes { get; init; }

    /// <summary>How long to wait for a target to accept a connection.</summary>
    public TimeSpan? ConnectTimeout { get; init; }

    /// <summary>A relayed connection with no bytes either way for this long is closed.</summary>
    public TimeSpan? IdleTimeout { get; init; }
}
