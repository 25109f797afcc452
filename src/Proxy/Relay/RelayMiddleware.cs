using System.Diagnostics;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Proxy.Connect;
using Proxy.Connections;
using Proxy.Destinations;
using Proxy.Forwarding;
using Proxy.Hosting;
using Proxy.Http;
using Yarp.ReverseProxy.Model;

namespace Proxy.Relay;

/// <summary>The egress endpoint: authenticates the tunnel (401), checks the destination against the route's policy
/// (403), resolves and dials with a timeout (refusing private addresses it would actually dial), and only then accepts
/// the WebSocket; a failure is the upgrade's status plus <c>X-Relay-Error</c>. One log line per tunnel.</summary>
internal sealed partial class RelayMiddleware(RequestDelegate next, LiveConfiguration live, ILogger<RelayMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var model = context.GetEndpoint()?.Metadata.GetMetadata<RouteModel>();
        if (model?.Config.Metadata?.TryGetValue(HttpMetadata.Relay, out var routeId) != true)
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        var route = Find(routeId!);
        if (route is null)
        {
            await RefuseAsync(context, StatusCodes.Status503ServiceUnavailable, "gone", "the relay route was removed").ConfigureAwait(false);
            return;
        }

        var (action, limits) = route.Value;
        var start = Stopwatch.GetTimestamp();
        var client = context.Connection.RemoteIpAddress?.ToString() ?? "-";
        if (!context.WebSockets.IsWebSocketRequest || !context.WebSockets.WebSocketRequestedProtocols.Contains(RelayProtocol.SubProtocol))
        {
            await RefuseAsync(context, StatusCodes.Status400BadRequest, "protocol", $"expected a WebSocket upgrade with subprotocol {RelayProtocol.SubProtocol}").ConfigureAwait(false);
            return;
        }

        var tokenId = action.Tokens.Verify(context.Request.Headers.Authorization.ToString());
        if (tokenId is null)
        {
            Log.Refused(logger, routeId!, "-", client, "-", StatusCodes.Status401Unauthorized, "auth");
            await RefuseAsync(context, StatusCodes.Status401Unauthorized, "auth", "unknown or missing bearer token").ConfigureAwait(false);
            return;
        }

        var destination = context.Request.Headers[RelayProtocol.DestinationHeader].ToString();
        if (!HostPort.TryParse(destination, out var host, out var port))
        {
            Log.Refused(logger, routeId!, tokenId, client, destination, StatusCodes.Status400BadRequest, "destination");
            await RefuseAsync(context, StatusCodes.Status400BadRequest, "destination", $"{RelayProtocol.DestinationHeader} must be host:port").ConfigureAwait(false);
            return;
        }

        if (!action.TryOpenTunnel(tokenId))
        {
            Log.Refused(logger, routeId!, tokenId, client, destination, StatusCodes.Status503ServiceUnavailable, "limit");
            await RefuseAsync(context, StatusCodes.Status503ServiceUnavailable, "limit", "too many tunnels").ConfigureAwait(false);
            return;
        }

        try
        {
            var (target, outcome) = await DestinationDialer.ConnectAsync(host, port, action.Policy, limits.ConnectTimeout, context.RequestAborted).ConfigureAwait(false);
            if (target is null)
            {
                var status = RelayProtocol.Status(outcome);
                Log.Refused(logger, routeId!, tokenId, client, destination, status, RelayProtocol.ErrorCode(outcome));
                await RefuseAsync(context, status, RelayProtocol.ErrorCode(outcome), $"cannot reach {destination}: {outcome}").ConfigureAwait(false);
                return;
            }

            using (target)
            {
                await RelayAsync(context, action, target, limits.IdleTimeout, routeId!, tokenId, client, destination, start).ConfigureAwait(false);
            }
        }
        finally
        {
            action.CloseTunnel(tokenId);
        }
    }

    private async Task RelayAsync(HttpContext context, RelayAction action, Socket target, TimeSpan idleTimeout,
        string routeId, string tokenId, string client, string destination, long start)
    {
        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            SubProtocol = RelayProtocol.SubProtocol,
            KeepAliveInterval = action.KeepAlive.Interval,
            KeepAliveTimeout = action.KeepAlive.Timeout,
            DangerousEnableCompression = false, // Costs CPU and leaks lengths (KESTREL.md, WebSockets).
        }).ConfigureAwait(false);
        long fromIngress = 0, toIngress = 0;
        var shutdown = context.RequestAborted;
        var reason = await WebSocketTunnel.RunAsync(
            socket,
            idle => WebSocketPump.SocketToWebSocketAsync(target, ReadOnlyMemory<byte>.Empty, socket, idle, n => Interlocked.Add(ref toIngress, n)),
            idle => WebSocketPump.WebSocketToSocketAsync(socket, target, idle, n => Interlocked.Add(ref fromIngress, n)),
            idleTimeout,
            shutdown).ConfigureAwait(false);
        // From the egress's view the ingress is the client: a reset on the WebSocket side is the ingress's.
        Log.Tunnel(logger, routeId, tokenId, client, destination, fromIngress, toIngress,
            (long)Stopwatch.GetElapsedTime(start).TotalMilliseconds, reason);
    }

    private (RelayAction Action, Routing.EffectiveLimits Limits)? Find(string routeId)
    {
        foreach (var route in live.Current.Routes)
        {
            if (route.Id == routeId && route.Action is RelayAction action)
            {
                return (action, route.Limits);
            }
        }

        return null;
    }

    private static Task RefuseAsync(HttpContext context, int status, string code, string detail)
    {
        context.Response.StatusCode = status;
        context.Response.Headers[RelayProtocol.ErrorHeader] = code;
        if (status == StatusCodes.Status401Unauthorized)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
        }

        return context.Response.WriteAsync(detail + "\n");
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information,
            "Relay tunnel route={RouteId} token={TokenId} client={Client} destination={Destination} in={BytesFromIngress} out={BytesToIngress} ms={DurationMs} end={Reason}")]
        public static partial void Tunnel(ILogger logger, string routeId, string tokenId, string client, string destination,
            long bytesFromIngress, long bytesToIngress, long durationMs, CloseReason reason);

        [LoggerMessage(2, LogLevel.Warning,
            "Relay tunnel refused route={RouteId} token={TokenId} client={Client} destination={Destination} status={Status} error={Error}")]
        public static partial void Refused(ILogger logger, string routeId, string tokenId, string client, string destination, int status, string error);
    }
}
