using Proxy.Configuration;
using Proxy.Destinations;
using Proxy.Tls;

namespace Proxy.Routing;

/// <summary>What an <see cref="IRouteActionFactory"/> gets to build one route's action.</summary>
internal sealed class RouteActionContext
{
    public required string RouteId { get; init; }

    public required RouteConfig Route { get; init; }

    public RouteActionConfig Action => Route.Action!;

    public required EffectiveLimits Limits { get; init; }

    /// <summary>The configuration's certificates that loaded, by name (case-insensitive).</summary>
    public required IReadOnlyDictionary<string, ServerCertificate> Certificates { get; init; }

    /// <summary>The users of Connect and Socks5 routes.</summary>
    public required UserDirectory Users { get; init; }

    /// <summary>The relay pools by name (case-insensitive), for routes with <c>Via</c>.</summary>
    public required IReadOnlyDictionary<string, IEgress> RelayPools { get; init; }

    /// <summary>WebSocket keepalive of relay tunnels (<c>Proxy:Relay</c>).</summary>
    public required (TimeSpan Interval, TimeSpan Timeout) RelayKeepAlive { get; init; }

    /// <summary>How long a Forward target's resolved host name is used (<c>Proxy:DnsRefresh</c>).</summary>
    public required TimeSpan DnsRefresh { get; init; }

    /// <summary>Where every invalid field is reported.</summary>
    public required ICollection<ConfigError> Errors { get; init; }

    public void Error(string field, string message) => Errors.Add(new ConfigError(RouteId, field, message));
}
