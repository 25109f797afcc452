using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Logging;
using Proxy.Connections;
using Proxy.ProxyProtocol;
using Proxy.Routing;

namespace Proxy.Forwarding;

/// <summary>The Forward action: dial a target (load balanced, failing over), optionally send a PROXY header, relay.</summary>
internal sealed partial class ForwardAction(TargetPool pool, ProxyHeaderVersion proxyHeader, ILogger logger) : IRouteAction
{
    public TargetPool Pool => pool;

    public ProxyHeaderVersion ProxyHeader => proxyHeader;

    public async Task ExecuteAsync(ProxyConnection connection)
    {
        var route = connection.Route!;
        var shutdown = connection.Context.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested ?? default;
        var (socket, target) = await ConnectAsync(connection, route.Limits.ConnectTimeout, shutdown).ConfigureAwait(false);
        if (socket is null || target is null)
        {
            connection.Refuse(CloseReason.ConnectFailed);
            return;
        }

        using (socket)
        {
            target.ConnectionOpened();
            try
            {
                if (proxyHeader != ProxyHeaderVersion.None && !await SendProxyHeaderAsync(connection, socket).ConfigureAwait(false))
                {
                    connection.Refuse(CloseReason.TargetReset);
                    return;
                }

                connection.Reason = await TcpRelay.RunAsync(connection, socket, route.Limits.IdleTimeout, shutdown).ConfigureAwait(false);
            }
            finally
            {
                target.ConnectionClosed();
            }
        }
    }

    private async ValueTask<(Socket?, ForwardTarget?)> ConnectAsync(ProxyConnection connection, TimeSpan timeout, CancellationToken shutdown)
    {
        var targets = pool.Targets;
        var start = pool.Start(connection.Client.Address);
        // Two passes: healthy targets first; if every one is down, try them anyway rather than refuse outright.
        for (var pass = 0; pass < 2; pass++)
        {
            for (var i = 0; i < targets.Count; i++)
            {
                var target = targets[(start + i) % targets.Count];
                if (target.IsHealthy != (pass == 0))
                {
                    continue;
                }

                connection.Target = target.Address;
                var (socket, error) = await TargetDialer.ConnectAsync(target, timeout, shutdown).ConfigureAwait(false);
                if (socket is not null)
                {
                    return (socket, target);
                }

                if (error == SocketError.OperationAborted)
                {
                    return (null, null);
                }

                var markedDown = target.ConnectFailed(pool.MaxFailures, pool.CoolDown);
                Log.ConnectFailed(logger, connection.Route!.Id, target.Address, error, markedDown);
            }
        }

        return (null, null);
    }

    private async ValueTask<bool> SendProxyHeaderAsync(ProxyConnection connection, Socket socket)
    {
        var destination = connection.LocalEndPoint ?? new IPEndPoint(IPAddress.Any, connection.Port.Port);
        var header = new byte[Math.Max(ProxyProtocolWriter.V2AddressHeaderLength, ProxyProtocolWriter.MaxV1Length)];
        var length = proxyHeader == ProxyHeaderVersion.V2
            ? ProxyProtocolWriter.WriteV2(header, connection.Client, destination)
            : ProxyProtocolWriter.WriteV1(header, connection.Client, destination);
        try
        {
            await socket.SendAsync(header.AsMemory(0, length), SocketFlags.None).ConfigureAwait(false);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Route {RouteId}: connect to {Target} failed ({Error}){MarkedDown}")]
        private static partial void ConnectFailed(ILogger logger, string routeId, string target, SocketError error, string markedDown);

        public static void ConnectFailed(ILogger logger, string routeId, string target, SocketError error, bool markedDown)
            => ConnectFailed(logger, routeId, target, error, markedDown ? "; target marked down" : string.Empty);
    }
}
