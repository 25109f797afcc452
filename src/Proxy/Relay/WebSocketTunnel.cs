using System.Net.WebSockets;
using Proxy.Connections;
using Proxy.Forwarding;

namespace Proxy.Relay;

/// <summary>Runs both directions of a relay tunnel and ends it in a fixed order: on an error or timeout, abort the
/// WebSocket so every pending operation stops, then await both loops; on a clean end, close with 1000.</summary>
internal static class WebSocketTunnel
{
    private static readonly TimeSpan CloseWait = TimeSpan.FromSeconds(5);

    public static async Task<CloseReason> RunAsync(WebSocket socket, Func<IdleTimer, Task<CopyResult>> toWebSocket,
        Func<IdleTimer, Task<CopyResult>> fromWebSocket, TimeSpan idleTimeout, CancellationToken shutdown)
    {
        using var idle = new IdleTimer(idleTimeout, shutdown);
        // A WebSocket send cannot be cancelled by token; aborting is how a stuck send stops.
        using var abortOnCancel = idle.Token.Register(static s => ((WebSocket)s!).Abort(), socket);
        var up = toWebSocket(idle);
        var down = fromWebSocket(idle);
        var first = await Task.WhenAny(up, down).ConfigureAwait(false);
        if (first.Result is not CopyResult.Completed)
        {
            idle.Cancel();
        }

        var (sent, received) = (await up.ConfigureAwait(false), await down.ConfigureAwait(false));
        if (sent == CopyResult.Completed && received == CopyResult.Completed)
        {
            await CloseAsync(socket, RelayProtocol.Normal).ConfigureAwait(false);
            return CloseReason.Completed;
        }

        if (idle.TimedOut)
        {
            await CloseAsync(socket, RelayProtocol.Policy).ConfigureAwait(false);
            return CloseReason.IdleTimeout;
        }

        socket.Abort();
        if (shutdown.IsCancellationRequested)
        {
            return CloseReason.ServerShutdown;
        }

        return sent is CopyResult.SourceFailed || received is CopyResult.DestinationFailed ? CloseReason.ClientReset : CloseReason.TargetReset;
    }

    private static async Task CloseAsync(WebSocket socket, WebSocketCloseStatus status)
    {
        if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
        {
            return;
        }

        using var cts = new CancellationTokenSource(CloseWait);
        try
        {
            await socket.CloseAsync(status, null, cts.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            socket.Abort();
        }
    }
}
