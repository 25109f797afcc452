namespace Proxy.Tls;

/// <summary>Outcome of <see cref="ClientHelloParser.TryParse"/> on the bytes received so far.</summary>
internal enum ClientHelloParseStatus
{
    /// <summary>More bytes are needed; the bytes so far are a valid prefix within the size limit.</summary>
    Incomplete,

    /// <summary>A whole ClientHello was parsed; the info describes it.</summary>
    Complete,

    /// <summary>The first bytes are not a TLS handshake record, e.g. a plain-text protocol.</summary>
    NotTls,

    /// <summary>The bytes are TLS but malformed (bad lengths, wrong record or message type, bad SNI).</summary>
    Invalid,

    /// <summary>Completing the ClientHello would need more than the allowed number of bytes.</summary>
    TooLarge,
}
