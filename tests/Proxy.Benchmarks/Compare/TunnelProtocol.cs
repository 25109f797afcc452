namespace Proxy.Benchmarks.Compare;

/// <summary>How a client asks for a tunnel: not at all (a Forward route), HTTP CONNECT, or SOCKS5 CONNECT.</summary>
internal enum TunnelProtocol
{
    /// <summary>A plain connection to a Forward route: the route names the target.</summary>
    Plain,

    /// <summary><c>CONNECT 127.0.0.1:T HTTP/1.1</c>, then the tunnel once the answer is 200.</summary>
    Http,

    /// <summary>RFC 1928: the no-authentication greeting, CONNECT to 127.0.0.1:T, then the tunnel once the reply is 00.</summary>
    Socks5,
}
