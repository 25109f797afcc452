namespace Proxy.ProxyProtocol;

/// <summary>Whether a port expects a PROXY protocol header from its trusted peers.</summary>
internal enum ProxyProtocolMode
{
    /// <summary>Never parse one: the first bytes are the client's.</summary>
    Off,

    /// <summary>Parse one if a trusted peer sends it; untrusted peers are not parsed.</summary>
    Optional,

    /// <summary>Every connection must come from a trusted peer and start with a header.</summary>
    Required,
}
