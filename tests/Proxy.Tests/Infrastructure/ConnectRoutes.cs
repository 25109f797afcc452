using System.Globalization;

namespace Proxy.Tests.Infrastructure;

/// <summary>Configuration shorthands for Connect (ingress) and Relay (egress) routes, in the shape of the <c>Proxy</c>
/// section. Optional members are left out rather than written as null.</summary>
public static class ConnectRoutes
{
    public const string User = "u";
    public const string Password = "p";
    public const string TokenId = "ingress-1";
    public const string Token = "relay-token-0123456789abcdef";
    public const string Pool = "egress";

    /// <summary>Loopback by address (the special range needs an explicit CIDR) and by name.</summary>
    public static readonly string[] Loopback = ["127.0.0.1/32:*", "localhost:*"];

    public static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    /// <summary>The relay URL of an egress listening on 127.0.0.1:<paramref name="port"/>.</summary>
    public static string RelayUrl(int port) => $"ws://127.0.0.1:{Port(port)}/relay/v1/tcp";

    /// <summary>A Connect route on <paramref name="port"/>; <paramref name="action"/> adds or replaces action members.</summary>
    public static Dictionary<string, object> ConnectRoute(string id, int port, string[] allow, string? via = null,
        Dictionary<string, object>? action = null, Dictionary<string, object>? route = null)
        => TunnelRoute(id, port, allow, via, Merge(new Dictionary<string, object> { ["Type"] = "Connect" }, action), route);

    /// <summary>A Connect or Socks5 route (<c>Type</c> in <paramref name="action"/>) with its destination policy and <c>Via</c>.</summary>
    public static Dictionary<string, object> TunnelRoute(string id, int port, string[] allow, string? via, Dictionary<string, object> action,
        Dictionary<string, object>? route = null)
    {
        var actionSection = new Dictionary<string, object> { ["Destinations"] = new { Allow = allow } };
        if (via is not null)
        {
            actionSection["Via"] = via;
        }

        return Route(id, port, Merge(actionSection, action), route);
    }

    /// <summary>An egress Relay route on <paramref name="port"/> at the default path, accepting <see cref="Token"/>.</summary>
    public static Dictionary<string, object> RelayRoute(string id, int port, string[] allow, Dictionary<string, object>? action = null,
        Dictionary<string, object>? route = null)
    {
        var actionSection = new Dictionary<string, object>
        {
            ["Type"] = "Relay",
            ["Tokens"] = new[] { new { Id = TokenId, Secret = Token } },
            ["Destinations"] = new { Allow = allow },
        };
        return Route(id, port, Merge(actionSection, action), route);
    }

    /// <summary>A <c>Proxy</c> section (route ports on 127.0.0.1 unless said) with the test user (unless <paramref name="users"/> is false).</summary>
    public static Dictionary<string, object> Section(object[] routes, object? relay = null, bool users = true, string bindAddress = "127.0.0.1")
    {
        var section = new Dictionary<string, object>
        {
            ["BindAddress"] = bindAddress,
            ["Routes"] = routes,
        };
        if (users)
        {
            section["Users"] = new[] { new { Name = User, Password } };
        }

        if (relay is not null)
        {
            section["Relay"] = relay;
        }

        return section;
    }

    /// <summary><c>Proxy:Relay</c> with one pool named <see cref="Pool"/> over <paramref name="endpoints"/>.</summary>
    public static Dictionary<string, object> RelayPool(object[] endpoints, string coolDown = "00:00:30", string connectTimeout = "00:00:10",
        string? keepAliveInterval = null, string? keepAliveTimeout = null)
    {
        var relay = new Dictionary<string, object>
        {
            ["Pools"] = new Dictionary<string, object>
            {
                [Pool] = new { Endpoints = endpoints, CoolDown = coolDown, ConnectTimeout = connectTimeout },
            },
        };
        if (keepAliveInterval is not null)
        {
            relay["KeepAliveInterval"] = keepAliveInterval;
        }

        if (keepAliveTimeout is not null)
        {
            relay["KeepAliveTimeout"] = keepAliveTimeout;
        }

        return relay;
    }

    /// <summary>One pool endpoint: an egress on 127.0.0.1:<paramref name="port"/> with <paramref name="token"/>.</summary>
    public static object Endpoint(int port, string token = Token) => new { Url = RelayUrl(port), Token = token };

    private static Dictionary<string, object> Route(string id, int port, Dictionary<string, object> action, Dictionary<string, object>? extra)
    {
        var route = new Dictionary<string, object>
        {
            ["Id"] = id,
            ["Match"] = new { Ports = new[] { Port(port) } },
            ["Action"] = action,
        };
        return Merge(route, extra);
    }

    private static Dictionary<string, object> Merge(Dictionary<string, object> target, Dictionary<string, object>? extra)
    {
        foreach (var (key, value) in extra ?? [])
        {
            target[key] = value;
        }

        return target;
    }
}
