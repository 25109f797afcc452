namespace Proxy.ProxyProtocol;

/// <summary>Outcome of <see cref="ProxyProtocolReader.TryParse"/> on the bytes received so far.</summary>
internal enum ProxyHeaderParseStatus
{
    /// <summary>More bytes are needed; the bytes so far are a valid prefix within the size limit.</summary>
    Incomplete,

    /// <summary>A whole header was parsed; its Length says how many bytes to slice off.</summary>
    Complete,

    /// <summary>The bytes seen cannot begin a v1 or v2 PROXY header.</summary>
    NotProxyProtocol,

    /// <summary>The bytes begin a PROXY header that breaks the grammar.</summary>
    Invalid,

    /// <summary>The header would need more than the allowed number of bytes.</summary>
    TooLarge,
}
