using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Proxy.Hosting;
using Proxy.Metrics;

namespace Proxy.Connections;

/// <summary>First stage of every route port: binds the connection to the current configuration snapshot, and when
/// the connection ends counts it and writes its one summary log line.</summary>
internal sealed partial class ProxyConnectionMiddleware(ConnectionDelegate next, LiveConfiguration config, ProxyMetrics metrics, ILogger logger)
{
    public async Task OnConnectionAsync(ConnectionContext context)
    {
        var snapshot = config.Current;
        if (context.LocalEndPoint is not IPEndPoint local || context.RemoteEndPoint is not IPEndPoint peer
            || !snapshot.Ports.TryGetValue(local.Port, out var port))
        {
            // The port's last route was removed and Kestrel is unbinding it.
            metrics.CountClosed(CloseReason.PortNotRouted);
            return;
        }

        var connection = new ProxyConnection(context, snapshot, port, peer);
        context.Features.Set(connection);
        metrics.PortOpened(local.Port);
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ConnectionResetException or ConnectionAbortedException or IOException or OperationCanceledException)
        {
            connection.Reason = CloseReason.ClientReset;
        }
        catch (Exception ex)
        {
            connection.Reason = connection.Route?.Action is Handlers.HandlerAction ? CloseReason.HandlerError : CloseReason.ClientReset;
            Log.Failed(logger, context.ConnectionId, connection.Route?.Id, ex);
        }
        finally
        {
            metrics.PortClosed(local.Port);
            metrics.CountClosed(connection.Reason);
            LogSummary(connection);
        }
    }

    private void LogSummary(ProxyConnection c)
    {
        if (!logger.IsEnabled(LogLevel.Information))
        {
            return;
        }

        var duration = Stopwatch.GetElapsedTime(c.StartTimestamp).TotalMilliseconds;
        Log.Closed(logger, c.Context.ConnectionId, c.Route?.Id ?? "-", c.Client, c.HasProxyHeader ? c.Peer.ToString() : "-", c.Port.Port,
            c.ServerName ?? "-", c.Target ?? "-", c.User ?? "-", c.ReplyCode is { } code ? code.ToString("x2", System.Globalization.CultureInfo.InvariantCulture) : "-",
            c.BytesFromClient, c.BytesToClient, (long)duration, c.Reason);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information,
            "Connection {ConnectionId} route={RouteId} client={Client} via={ProxyPeer} port={Port} sni={ServerName} target={Target} " +
            "user={User} reply={ReplyCode} in={BytesFromClient} out={BytesToClient} ms={DurationMs} end={Reason}")]
        public static partial void Closed(ILogger logger, string connectionId, string routeId, IPEndPoint client, string proxyPeer,
            int port, string serverName, string target, string user, string replyCode, long bytesFromClient, long bytesToClient, long durationMs,
            CloseReason reason);

        [LoggerMessage(2, LogLevel.Error, "Connection {ConnectionId} on route {RouteId} failed")]
        public static partial void Failed(ILogger logger, string connectionId, string? routeId, Exception exception);
    }
}
