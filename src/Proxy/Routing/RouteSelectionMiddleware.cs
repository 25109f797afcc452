using System.Buffers;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;
using Proxy.Connections;
using Proxy.Tls;

namespace Proxy.Routing;

/// <summary>Chooses the connection's route (domain, ALPN, then client address, by priority and specificity), applies the
/// route's own ACL and limits, and runs its action.</summary>
internal sealed class RouteSelectionMiddleware(ConnectionDelegate next)
{
    public async Task OnConnectionAsync(ConnectionContext context)
    {
        var connection = context.Features.GetRequiredFeature<ProxyConnection>();
        var client = connection.Client.Address;
        var route = connection.Port.Match(connection.ServerName, connection.ApplicationProtocols, client);
        if (route is null)
        {
            connection.Refuse(connection.PeekFailure ?? CloseReason.NoRoute);
            var alert = connection.SentClientHello ? TlsAlert.UnrecognizedName
                : connection.PeekFailure == CloseReason.InvalidClientHello ? TlsAlert.DecodeError
                : default;
            if (!alert.IsEmpty)
            {
                context.Transport.Output.Write(alert);
                await context.Transport.Output.FlushAsync().ConfigureAwait(false);
            }

            return;
        }

        connection.Route = route;
        var stats = route.Stats;
        if (route.Acl is { } acl && !acl.IsAllowed(client))
        {
            stats.CountRefusal();
            connection.Refuse(CloseReason.RouteAcl);
            return;
        }

        if (!stats.TryOpen(route.Limits.MaxConnections))
        {
            stats.CountRefusal();
            connection.Refuse(CloseReason.RouteLimit);
            return;
        }

        var perIp = route.Limits.MaxConnectionsPerIp;
        stats.LiveConnections.TryAdd(connection, 0);
        try
        {
            if (perIp is { } limit && !stats.Clients.TryAcquire(client, limit))
            {
                connection.Refuse(CloseReason.RouteLimit);
                perIp = null;
                return;
            }

            connection.Next = next;
            await route.Action.ExecuteAsync(connection).ConfigureAwait(false);
        }
        finally
        {
            stats.LiveConnections.TryRemove(connection, out _);
            if (perIp is not null)
            {
                stats.Clients.Release(client);
            }

            stats.Close(connection.BytesFromClient, connection.BytesToClient, connection.Reason != CloseReason.Completed, connection.BytesSpliced);
        }
    }
}
