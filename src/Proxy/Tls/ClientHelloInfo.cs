namespace Proxy.Tls;

/// <summary>The routing-relevant fields of a parsed TLS ClientHello (RFC 8446 §4.1.2).</summary>
internal sealed class ClientHelloInfo
{
    public ClientHelloInfo(string? serverName, IReadOnlyList<string> applicationProtocols, ushort clientVersion, int length)
    {
        ServerName = serverName;
        ApplicationProtocols = applicationProtocols;
        ClientVersion = clientVersion;
        Length = length;
    }

    /// <summary>SNI host_name (RFC 6066 §3), lower-cased ASCII; null when the client sent no SNI.</summary>
    public string? ServerName { get; }

    /// <summary>ALPN protocol names in client preference order (RFC 7301 §3.1); empty when absent.</summary>
    public IReadOnlyList<string> ApplicationProtocols { get; }

    /// <summary>legacy_version from the ClientHello body (0x0303 for TLS 1.2 and 1.3, RFC 8446 §4.1.2).</summary>
    public ushort ClientVersion { get; }

    /// <summary>Total bytes of the TLS records (headers included) that carried the ClientHello.</summary>
    public int Length { get; }
}
