namespace Proxy.Configuration;

/// <summary>CONNECT-over-WebSocket relay settings (<c>Proxy:Relay</c>): the egress pools an ingress may use.</summary>
public sealed record RelayOptions
{
    /// <summary>Egress pools by name, referred to by a route's <c>Via</c>.</summary>
    public IReadOnlyDictionary<string, RelayPoolConfig> Pools { get; init; } = new Dictionary<string, RelayPoolConfig>();

    /// <summary>WebSocket ping interval on both sides of a tunnel; default 20 s.</summary>
    public TimeSpan? KeepAliveInterval { get; init; }

    /// <summary>A tunnel whose peer answers no ping for this long is closed; default 60 s.</summary>
    public TimeSpan? KeepAliveTimeout { get; init; }
}

/// <summary>One pool of egress nodes.</summary>
public sealed record RelayPoolConfig
{
    public IReadOnlyList<RelayEndpointConfig> Endpoints { get; init; } = [];

    /// <summary>How long an egress that failed to connect is skipped; default 30 s.</summary>
    public TimeSpan? CoolDown { get; init; }

    /// <summary>Time allowed to open the WebSocket and get the egress's answer; default 10 s.</summary>
    public TimeSpan? ConnectTimeout { get; init; }
}

/// <summary>One egress node: its relay URL (<c>wss://edge1.example.com/relay/v1/tcp</c>) and the bearer token it expects.</summary>
public sealed record RelayEndpointConfig
{
    public string? Url { get; init; }

    public string? Token { get; init; }

    /// <summary>Accept any certificate from this egress (a self-signed test node). Never across the internet.</summary>
    public bool DangerousAcceptAnyServerCertificate { get; init; }
}

/// <summary>A bearer token an egress accepts, with the id its logs and limits use.</summary>
public sealed record RelayTokenConfig
{
    public string? Id { get; init; }

    public string? Secret { get; init; }
}
