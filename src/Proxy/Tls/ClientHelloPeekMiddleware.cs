using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;
using Proxy.Connections;

namespace Proxy.Tls;

/// <summary>On ports with SNI routes, reads the TLS ClientHello (SNI, ALPN) without consuming it, bounded by
/// <c>PeekMaxBytes</c> and <c>PeekTimeout</c>. Ports without SNI routes skip this and never wait for the client.</summary>
internal sealed class ClientHelloPeekMiddleware(ConnectionDelegate next)
{
    /// <summary>Not async on ports without SNI routes, so no state machine of this stage lives as long as the connection.</summary>
    public Task OnConnectionAsync(ConnectionContext context)
    {
        var connection = context.Features.GetRequiredFeature<ProxyConnection>();
        return connection.Port.NeedsServerName ? PeekAsync(context, connection) : next(context);
    }

    private async Task PeekAsync(ConnectionContext context, ProxyConnection connection)
    {
        var peek = new ClientHelloPeek(connection.Port.PeekMaxBytes);
        var status = await ClientPeek.PeekAsync(context.Transport.Input, peek, connection.Port.PeekTimeout).ConfigureAwait(false);
        // A failed peek is not yet a refusal: a route without domains on the port still takes the connection.
        connection.PeekFailure = status switch
        {
            PeekStatus.TimedOut => CloseReason.PeekTimeout,
            PeekStatus.ClientClosed => CloseReason.ClientReset,
            _ => peek.Status switch
            {
                ClientHelloParseStatus.Complete => (CloseReason?)null,
                ClientHelloParseStatus.NotTls => CloseReason.NotTls,
                ClientHelloParseStatus.TooLarge => CloseReason.PeekTooLarge,
                _ => CloseReason.InvalidClientHello,
            },
        };

        if (connection.PeekFailure is CloseReason.PeekTooLarge or CloseReason.ClientReset)
        {
            connection.Refuse(connection.PeekFailure.Value);
            return;
        }

        if (peek.Info is { } hello && connection.PeekFailure is null)
        {
            connection.SentClientHello = true;
            connection.ServerName = hello.ServerName;
            connection.ApplicationProtocols = hello.ApplicationProtocols;
        }

        await next(context).ConfigureAwait(false);
    }
}
