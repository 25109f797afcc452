using System.Text.Json.Serialization;

namespace Proxy.Configuration;

/// <summary>The match half of a route: port, then domain, then ALPN, then client address.</summary>
public sealed record RouteMatchConfig
{
    /// <summary>Ports (<c>"443"</c>) or inclusive ranges (<c>"9000-9010"</c>).</summary>
    [JsonConverter(typeof(PortListJsonConverter))]
    public IReadOnlyList<string> Ports { get; init; } = [];

    /// <summary>TLS SNI names (and, for HTTP routes, Host names): exact (<c>db.example.com</c>), one-label wildcard (<c>*.example.com</c>) or <c>*</c>.</summary>
    public IReadOnlyList<string> Domains { get; init; } = [];

    /// <summary>Layer-4 routes: TLS ALPN protocols (RFC 7301), of which the ClientHello must offer one, e.g.
    /// <c>acme-tls/1</c> (ACME TLS-ALPN-01 challenges, RFC 8737) or <c>h2</c>; empty means any.</summary>
    public IReadOnlyList<string> Alpn { get; init; } = [];

    /// <summary>Client addresses or CIDR ranges this route is for; empty means any.</summary>
    public IReadOnlyList<string> ClientIps { get; init; } = [];

    /// <summary>HTTP routes: a YARP route template for the request path, e.g. <c>/api/{**rest}</c>.</summary>
    public string? Path { get; init; }

    /// <summary>HTTP routes: allowed request methods; empty means any.</summary>
    public IReadOnlyList<string> Methods { get; init; } = [];

    /// <summary>HTTP routes: header conditions, all of which must hold.</summary>
    public IReadOnlyList<HeaderMatchConfig> Headers { get; init; } = [];

    /// <summary><c>Tcp</c> (default) or <c>Udp</c>.</summary>
    public string? Transport { get; init; }
}
