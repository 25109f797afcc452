namespace Proxy.Configuration;

/// <summary>Settings of one listening port (the <c>Proxy:Ports:{port}</c> section).</summary>
public sealed record PortConfig
{
    /// <summary>PROXY protocol on receive for this port, replacing the global setting.</summary>
    public ProxyProtocolConfig? ProxyProtocol { get; init; }

    /// <summary>The address this port listens on, replacing <see cref="ProxyOptions.BindAddress"/>.</summary>
    public string? BindAddress { get; init; }
}
