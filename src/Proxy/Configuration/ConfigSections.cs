using System.Net;
using Proxy.Networking;
using Proxy.ProxyProtocol;
using Proxy.Routing;

namespace Proxy.Configuration;

/// <summary>Compiles the shared sections a route or the whole configuration may carry (ACL, limits, PROXY protocol,
/// networks, bind addresses), reporting every invalid field with its route id and path.</summary>
internal static class ConfigSections
{
    public static NetworkList CompileNetworks(string? id, string field, IReadOnlyList<string> entries, ICollection<ConfigError> errors)
    {
        var networks = new List<IPNetwork>(entries.Count);
        for (var i = 0; i < entries.Count; i++)
        {
            if (NetworkList.TryParseNetwork(entries[i], out var network))
            {
                networks.Add(network);
            }
            else
            {
                errors.Add(new ConfigError(id, $"{field}[{i}]", $"'{entries[i]}' is not an IP address or CIDR range."));
            }
        }

        return NetworkList.Create(networks);
    }

    public static AccessList CompileAcl(string? id, string field, AclConfig? acl, ICollection<ConfigError> errors)
        => acl is null
            ? new AccessList(NetworkList.Empty, NetworkList.Empty)
            : new AccessList(CompileNetworks(id, field + ".Allow", acl.Allow, errors), CompileNetworks(id, field + ".Deny", acl.Deny, errors));

    public static ProxyProtocolSettings CompileProxyProtocol(string field, ProxyProtocolConfig? config, ProxyProtocolSettings fallback, ICollection<ConfigError> errors)
    {
        if (config is null)
        {
            return fallback;
        }

        var mode = ProxyProtocolMode.Off;
        if (config.Mode is not null && !Enum.TryParse(config.Mode, ignoreCase: true, out mode) || !Enum.IsDefined(mode))
        {
            errors.Add(new ConfigError(null, field + ".Mode", $"'{config.Mode}' is not one of Off, Optional, Required."));
        }

        var trusted = CompileNetworks(null, field + ".TrustedNetworks", config.TrustedNetworks, errors);
        if (mode != ProxyProtocolMode.Off && trusted.Count == 0)
        {
            errors.Add(new ConfigError(null, field + ".TrustedNetworks", "PROXY protocol is on but no peer is trusted to send it."));
        }

        return new ProxyProtocolSettings(mode, trusted);
    }

    public static EffectiveLimits CompileLimits(string? id, string field, LimitsConfig? config, EffectiveLimits fallback, ICollection<ConfigError> errors)
    {
        if (config is null)
        {
            return fallback;
        }

        Positive(config.MaxConnections, "MaxConnections");
        Positive(config.MaxConnectionsPerIp, "MaxConnectionsPerIp");
        Positive(config.PeekMaxBytes, "PeekMaxBytes");
        PositiveTime(config.PeekTimeout, "PeekTimeout");
        PositiveTime(config.ConnectTimeout, "ConnectTimeout");
        PositiveTime(config.IdleTimeout, "IdleTimeout");
        if (config.PeekMaxBytes is > 1024 * 1024)
        {
            errors.Add(new ConfigError(id, field + ".PeekMaxBytes", "At most 1 MiB may be buffered while peeking."));
        }

        return new EffectiveLimits
        {
            MaxConnections = config.MaxConnections ?? fallback.MaxConnections,
            MaxConnectionsPerIp = config.MaxConnectionsPerIp ?? fallback.MaxConnectionsPerIp,
            PeekTimeout = config.PeekTimeout ?? fallback.PeekTimeout,
            PeekMaxBytes = config.PeekMaxBytes ?? fallback.PeekMaxBytes,
            ConnectTimeout = config.ConnectTimeout ?? fallback.ConnectTimeout,
            IdleTimeout = config.IdleTimeout ?? fallback.IdleTimeout,
        };

        void Positive(int? value, string name)
        {
            if (value is <= 0)
            {
                errors.Add(new ConfigError(id, $"{field}.{name}", "Must be greater than zero."));
            }
        }

        void PositiveTime(TimeSpan? value, string name)
        {
            if (value is { } time && time <= TimeSpan.Zero)
            {
                errors.Add(new ConfigError(id, $"{field}.{name}", "Must be a positive time span such as 00:00:05."));
            }
        }
    }

    public static IPAddress ParseBindAddress(string? id, string field, string? text, IPAddress fallback, ICollection<ConfigError> errors)
    {
        if (text is null)
        {
            return fallback;
        }

        if (IpAddressText.TryParse(text, out var address))
        {
            return address;
        }

        errors.Add(new ConfigError(id, field, $"'{text}' is not an IP address."));
        return fallback;
    }
}
