using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;
using Proxy.Connections;

namespace Proxy.ProxyProtocol;

/// <summary>Decodes a PROXY protocol v1/v2 header from trusted peers and makes its source the connection's client.
/// Headers are never believed from anyone else: with <c>Required</c>, untrusted peers are refused.</summary>
internal sealed class ProxyProtocolMiddleware(ConnectionDelegate next)
{
    /// <summary>Not async when the port has PROXY protocol off: a relayed connection then keeps no state machine of
    /// this stage alive for its whole life (memory per idle connection).</summary>
    public Task OnConnectionAsync(ConnectionContext context)
    {
        var connection = context.Features.GetRequiredFeature<ProxyConnection>();
        return connection.Port.ProxyProtocol.Mode == ProxyProtocolMode.Off ? next(context) : DecodeAsync(context, connection);
    }

    private async Task DecodeAsync(ConnectionContext context, ProxyConnection connection)
    {
        var settings = connection.Port.ProxyProtocol;

        if (!settings.TrustedNetworks.Contains(connection.Peer.Address))
        {
            if (settings.Mode == ProxyProtocolMode.Required)
            {
                connection.Refuse(CloseReason.ProxyProtocolUntrusted);
                return;
            }

            await next(context).ConfigureAwait(false);
            return;
        }

        var input = context.Transport.Input;
        var peek = new ProxyHeaderPeek(connection.Port.PeekMaxBytes);
        var status = await ClientPeek.PeekAsync(input, peek, connection.Port.PeekTimeout).ConfigureAwait(false);
        if (status != PeekStatus.Decided)
        {
            connection.Refuse(status == PeekStatus.TimedOut ? CloseReason.PeekTimeout : CloseReason.ClientReset);
            return;
        }

        switch (peek.Status)
        {
            case ProxyHeaderParseStatus.Complete:
                var header = peek.Header;
                var buffered = await input.ReadAsync().ConfigureAwait(false);
                input.AdvanceTo(buffered.Buffer.GetPosition(header.Length));
                connection.HasProxyHeader = true;
                if (!header.IsLocal && header.Source is not null)
                {
                    connection.Client = header.Source;
                    connection.LocalEndPoint = header.Destination ?? connection.LocalEndPoint;
                }

                break;
            case ProxyHeaderParseStatus.NotProxyProtocol when settings.Mode == ProxyProtocolMode.Optional:
                break;
            case ProxyHeaderParseStatus.NotProxyProtocol:
                connection.Refuse(CloseReason.ProxyProtocolMissing);
                return;
            default:
                connection.Refuse(CloseReason.ProxyProtocolInvalid);
                return;
        }

        await next(context).ConfigureAwait(false);
    }
}
