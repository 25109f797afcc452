namespace Proxy.Configuration;

/// <summary>TLS on an HTTP route: <c>{ "Mode": "Terminate", "Certificate": "name" }</c>.</summary>
public sealed record TlsConfig
{
    /// <summary><c>Terminate</c>: the proxy completes the handshake with the certificate and routes the HTTP inside.</summary>
    public string? Mode { get; init; }

    /// <summary>The name of an entry under <c>Proxy:Certificates</c>.</summary>
    public string? Certificate { get; init; }
}
