namespace Proxy.Configuration;

/// <summary>The <c>Proxy</c> section of the configuration: everything the proxy serves.</summary>
public sealed record ProxyOptions
{
    /// <summary>The configuration section these options are read from.</summary>
    public const string SectionName = "Proxy";

    /// <summary>Every route, L4 and L7, in one list.</summary>
    public IReadOnlyList<RouteConfig> Routes { get; init; } = [];

    /// <summary>Client address filter applied to every connection on every route port (after PROXY protocol).</summary>
    public AclConfig? Acl { get; init; }

    /// <summary>Bounds applied to every connection unless a route overrides them.</summary>
    public LimitsConfig? Limits { get; init; }

    /// <summary>PROXY protocol on receive for every port that does not set its own.</summary>
    public ProxyProtocolConfig? ProxyProtocol { get; init; }

    /// <summary>Per-port listener settings, keyed by port number.</summary>
    public IReadOnlyDictionary<string, PortConfig> Ports { get; init; } = new Dictionary<string, PortConfig>();

    /// <summary>Users of Connect and Socks5 routes (Basic and RFC 1929 authentication).</summary>
    public IReadOnlyList<UserConfig> Users { get; init; } = [];

    /// <summary>The CONNECT-over-WebSocket relay: egress pools for ingress routes.</summary>
    public RelayOptions? Relay { get; init; }

    /// <summary>The admin API: listen URLs, API keys, drain timeout.</summary>
    public AdminOptions? Admin { get; init; }

    /// <summary>The route store for routes created through the admin API.</summary>
    public StoreOptions? Store { get; init; }

    /// <summary>Named server certificates for HTTP routes that terminate TLS.</summary>
    public IReadOnlyDictionary<string, CertificateConfig> Certificates { get; init; } = new Dictionary<string, CertificateConfig>();

    /// <summary>The address route ports listen on unless a port sets its own; default <c>0.0.0.0</c>.</summary>
    public string? BindAddress { get; init; }

    /// <summary>Whether layer-4 relays (Forward, Connect, Socks5) let the kernel move a bulk stream with <c>splice(2)</c>
    /// on Linux; default true. False copies every byte through this process (HAProxy's <c>nosplice</c>).</summary>
    public bool? Splice { get; init; }

    /// <summary>How long the addresses a Forward target's host name resolved to are used before the name is looked up
    /// again (default 00:00:30); a failed lookup keeps the last good answer. Address literals are never looked up.</summary>
    public TimeSpan? DnsRefresh { get; init; }
}
