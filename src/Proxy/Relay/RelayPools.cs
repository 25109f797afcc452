using Proxy.Configuration;
using Proxy.Destinations;

namespace Proxy.Relay;

/// <summary>Compiles <c>Proxy:Relay:Pools</c> into <see cref="RelayPool"/>s, reporting every invalid field.</summary>
internal static class RelayPools
{
    public static Dictionary<string, IEgress> Compile(RelayOptions? options, (TimeSpan Interval, TimeSpan Timeout) keepAlive, ICollection<ConfigError> errors)
    {
        var pools = new Dictionary<string, IEgress>(StringComparer.OrdinalIgnoreCase);
        if (options is null)
        {
            return pools;
        }

        foreach (var (name, pool) in options.Pools)
        {
            var field = $"Relay.Pools:{name}";
            var before = errors.Count;
            if (pool.Endpoints.Count == 0)
            {
                errors.Add(new ConfigError(null, field + ".Endpoints", "A relay pool needs at least one egress endpoint."));
            }

            var endpoints = new List<RelayEndpoint>();
            for (var i = 0; i < pool.Endpoints.Count; i++)
            {
                var endpoint = pool.Endpoints[i];
                if (!Uri.TryCreate(endpoint.Url, UriKind.Absolute, out var url) || (url.Scheme != "ws" && url.Scheme != "wss"))
                {
                    errors.Add(new ConfigError(null, $"{field}.Endpoints[{i}].Url", $"'{endpoint.Url}' is not a ws:// or wss:// URL."));
                }
                else if (string.IsNullOrEmpty(endpoint.Token))
                {
                    errors.Add(new ConfigError(null, $"{field}.Endpoints[{i}].Token", "An egress endpoint needs the token it expects."));
                }
                else
                {
                    endpoints.Add(new RelayEndpoint(url, endpoint.Token, endpoint.DangerousAcceptAnyServerCertificate));
                }
            }

            Positive(pool.CoolDown, field + ".CoolDown", errors);
            Positive(pool.ConnectTimeout, field + ".ConnectTimeout", errors);
            if (errors.Count == before)
            {
                pools[name] = new RelayPool(name, endpoints, pool.CoolDown ?? TimeSpan.FromSeconds(30), pool.ConnectTimeout ?? TimeSpan.FromSeconds(10), keepAlive);
            }
        }

        return pools;
    }

    public static (TimeSpan Interval, TimeSpan Timeout) KeepAlive(RelayOptions? options, ICollection<ConfigError> errors)
    {
        Positive(options?.KeepAliveInterval, "Relay.KeepAliveInterval", errors);
        Positive(options?.KeepAliveTimeout, "Relay.KeepAliveTimeout", errors);
        return (options?.KeepAliveInterval ?? RelayProtocol.DefaultKeepAliveInterval, options?.KeepAliveTimeout ?? RelayProtocol.DefaultKeepAliveTimeout);
    }

    private static void Positive(TimeSpan? value, string field, ICollection<ConfigError> errors)
    {
        if (value is { } time && time <= TimeSpan.Zero)
        {
            errors.Add(new ConfigError(null, field, "Must be a positive time span."));
        }
    }
}
