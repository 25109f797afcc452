namespace Proxy.Routing;

/// <summary>The bounds in force for a route: its own overrides over the global ones over the defaults.</summary>
internal sealed record EffectiveLimits
{
    public static EffectiveLimits Defaults { get; } = new()
    {
        MaxConnections = 10_000,
        MaxConnectionsPerIp = 1_000,
        PeekTimeout = TimeSpan.FromSeconds(3),
        PeekMaxBytes = 16 * 1024,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        IdleTimeout = TimeSpan.FromHours(1),
    };

    /// <summary>Concurrent connections; for a route, null when the route sets no limit of its own.</summary>
    public int? MaxConnections { get; init; }

    public int? MaxConnectionsPerIp { get; init; }

    public TimeSpan PeekTimeout { get; init; }

    public int PeekMaxBytes { get; init; }

    public TimeSpan ConnectTimeout { get; init; }

    public TimeSpan IdleTimeout { get; init; }
}
