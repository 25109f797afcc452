namespace Proxy.Configuration;

/// <summary>The action half of a route.</summary>
public sealed record RouteActionConfig
{
    /// <summary><c>Forward</c>, <c>Handler</c>, <c>Block</c>, <c>Http</c> or <c>Redirect</c>.</summary>
    public string? Type { get; init; }

    /// <summary>Forward: <c>host:port</c> targets. Http: <c>http(s)://host:port</c> destinations.</summary>
    public IReadOnlyList<string> Targets { get; init; } = [];

    /// <summary>Forward: <c>RoundRobin</c> (default), <c>LeastConnections</c>, <c>Random</c> or <c>ClientIpHash</c>.
    /// Http: YARP's <c>RoundRobin</c>, <c>LeastRequests</c>, <c>Random</c>, <c>PowerOfTwoChoices</c> (default),
    /// <c>FirstAlphabetical</c>.</summary>
    public string? LoadBalancing { get; init; }

    /// <summary>Forward: PROXY protocol header sent to the target: <c>None</c> (default), <c>V1</c> or <c>V2</c>.</summary>
    public string? ProxyProtocol { get; init; }

    /// <summary>Forward: passive health checking of targets.</summary>
    public PassiveHealthConfig? PassiveHealth { get; init; }

    /// <summary>Handler: the name of a registered connection handler (built in: <c>echo</c>).</summary>
    public string? Handler { get; init; }

    /// <summary>Http: TLS termination for the route's domains.</summary>
    public TlsConfig? Tls { get; init; }

    /// <summary>Http: active and passive health checks of the targets.</summary>
    public HttpHealthCheckConfig? HealthCheck { get; init; }

    /// <summary>Http: YARP transforms, e.g. <c>{ "PathRemovePrefix": "/api" }</c>, <c>{ "RequestHeader": "X-A", "Set": "1" }</c>;
    /// <c>X-Forwarded-*</c> headers are added unless a transform says otherwise (<c>{ "X-Forwarded": "Off" }</c>).</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, string>> Transforms { get; init; } = [];

    /// <summary>Http: the activity timeout of a proxied request (no bytes either way for this long: 504).</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Http: session affinity.</summary>
    public SessionAffinitySettings? SessionAffinity { get; init; }

    /// <summary>Http: accept any certificate from <c>https://</c> targets (self-signed backends). Never for the internet.</summary>
    public bool DangerousAcceptAnyServerCertificate { get; init; }

    /// <summary>Redirect: the target, with <c>{scheme}</c>, <c>{host}</c>, <c>{port}</c> and <c>{path}</c> (path and query).</summary>
    public string? To { get; init; }

    /// <summary>Redirect: 301, 302 (default), 307 or 308.</summary>
    public int? Status { get; init; }

    /// <summary>Connect, Socks5: dial directly (absent) or through this <c>Proxy:Relay:Pools</c> pool.</summary>
    public string? Via { get; init; }

    /// <summary>Connect, Socks5, Relay: the destination policy.</summary>
    public DestinationsConfig? Destinations { get; init; }

    /// <summary>Connect, Socks5: accept clients without credentials. Allowed only when the route's ACL admits loopback only.</summary>
    public bool AllowAnonymous { get; init; }

    /// <summary>Relay: the bearer tokens this egress accepts.</summary>
    public IReadOnlyList<RelayTokenConfig> Tokens { get; init; } = [];

    /// <summary>Relay: concurrent tunnels per token; default 100.</summary>
    public int? MaxTunnelsPerToken { get; init; }

    /// <summary>Relay: concurrent tunnels in total; default 1000.</summary>
    public int? MaxTunnels { get; init; }
}
