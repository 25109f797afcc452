using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;
using Proxy.Metrics;

namespace Proxy.Connections;

/// <summary>Applies the global ACL and <c>Limits:MaxConnectionsPerIp</c> to the real client address (after PROXY protocol).</summary>
internal sealed class ClientFilterMiddleware(ConnectionDelegate next, ClientConnectionCounter clients)
{
    public async Task OnConnectionAsync(ConnectionContext context)
    {
        var connection = context.Features.GetRequiredFeature<ProxyConnection>();
        var address = connection.Client.Address;
        if (!connection.Snapshot.Acl.IsAllowed(address))
        {
            connection.Refuse(CloseReason.Acl);
            return;
        }

        if (!clients.TryAcquire(address, connection.Snapshot.Limits.MaxConnectionsPerIp!.Value))
        {
            connection.Refuse(CloseReason.LimitPerIp);
            return;
        }

        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            clients.Release(address);
        }
    }
}
