namespace Proxy.ProxyProtocol;

/// <summary>Which PROXY protocol header a Forward route sends to its target.</summary>
internal enum ProxyHeaderVersion
{
    None,
    V1,
    V2,
}
