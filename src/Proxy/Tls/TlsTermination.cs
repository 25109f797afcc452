using System.Net.Security;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Proxy.Connections;
using Proxy.Http;

namespace Proxy.Tls;

/// <summary>Chooses the certificate for a TLS-terminating port per connection: the one of the HTTP route the chain
/// matched by SNI (exact beats wildcard), from the connection's own snapshot.</summary>
internal static class TlsTermination
{
    private static readonly List<SslApplicationProtocol> Alpn = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11];

    public static TlsHandshakeCallbackOptions Options { get; } = new()
    {
        OnConnection = static context =>
        {
            var connection = context.Connection.Features.GetRequiredFeature<ProxyConnection>();
            var certificate = (connection.Route?.Action as IHttpRouteAction)?.Certificate
                ?? throw new InvalidOperationException($"Route '{connection.Route?.Id}' reached TLS termination without a certificate.");
            return ValueTask.FromResult(new SslServerAuthenticationOptions
            {
                ServerCertificateContext = certificate.Context,
                ApplicationProtocols = Alpn,
            });
        },
    };
}
