namespace Proxy.Configuration;

/// <summary>Where a Connect, Socks5 or Relay route may dial: entries are <c>host-pattern:ports</c>
/// (<c>*.github.com:443</c>, <c>*:80-443</c>) or <c>CIDR:ports</c> (<c>10.1.0.0/16:*</c>, <c>[2001:db8::/32]:443</c>).
/// Deny wins; an empty allow list allows nothing. Loopback, private, link-local and metadata addresses are refused
/// unless an allow entry names them as an IP or CIDR.</summary>
public sealed record DestinationsConfig
{
    public IReadOnlyList<string> Allow { get; init; } = [];

    public IReadOnlyList<string> Deny { get; init; } = [];
}
