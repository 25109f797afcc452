namespace Proxy.Configuration;

/// <summary>The action half of a route.</summary>
public sealed record RouteActionConfig
{
    /// <summary><c>Forward</c>, <c>Handler</c> or <c>Block</c>.</summary>
    public string? Type { get; init; }

    /// <summary>Forward: <c>host:port</c> targets.</summary>
    public IReadOnlyList<string> Targets { get; init; } = [];

    /// <summary>Forward: <c>RoundRobin</c> (default), <c>LeastConnections</c>, <c>Random</c> or <c>ClientIpHash</c>.</summary>
    public string? LoadBalancing { get; init; }

    /// <summary>Forward: PROXY protocol header sent to the target: <c>None</c> (default), <c>V1</c> or <c>V2</c>.</summary>
    public string? ProxyProtocol { get; init; }

    /// <summary>Forward: passive health checking of targets.</summary>
    public PassiveHealthConfig? PassiveHealth { get; init; }

    /// <summary>Handler: the name of a registered connection handler (built in: <c>echo</c>).</summary>
    public string? Handler { get; init; }
}
