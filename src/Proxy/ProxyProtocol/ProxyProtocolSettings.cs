using Proxy.Networking;

namespace Proxy.ProxyProtocol;

/// <summary>PROXY protocol on receive, as in force on one port.</summary>
internal sealed record ProxyProtocolSettings(ProxyProtocolMode Mode, NetworkList TrustedNetworks)
{
    public static ProxyProtocolSettings Off { get; } = new(ProxyProtocolMode.Off, NetworkList.Empty);
}
