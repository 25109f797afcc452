using System.Net.WebSockets;
using Proxy.Connections;
using Proxy.Forwarding;

namespace Proxy.Relay;

/// <summary>Runs both directions of a relay tunnel and ends it with a close code the peer can read: 1000 when both sides
/// finished, 1008 for the idle timeout, 1001 on shutdown, 1011 when either side failed. The WebSocket receive is never
/// cancelled by token (that would abort the socket before the close frame); the close frame is what ends it, and an
/// unresponsive peer is aborted after a bounded wait. Socket-side operations stop through the idle token.</summary>
internal static class WebSocketTunnel
{
    private static readonly TimeSpan CloseWait = TimeSpan.FromSeconds(5);

    public static async Task<CloseReason> RunAsync(WebSocket socket, Func<IdleTimer, Task<CopyResult>> toWebSocket,
        Func<IdleTimer, Task<CopyResult>> fromWebSocket, TimeSpan idleTimeout, CancellationToken shutdown)
    {
        using var idle = new IdleTimer(idleTimeout, shutdown);
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var onStop = idle.Token.Register(static s => ((TaskCompletionSource)s!).TrySetResult(), stopped);
        var up = toWebSocket(idle);
        var down = fromWebSocket(idle);

        var failed = false;
        var pending = new List<Task> { up, down, stopped.Task };
        while (pending.Count > 1)
        {
            var next = await Task.WhenAny(pending).ConfigureAwait(false);
            if (next == stopped.Task || ((Task<CopyResult>)next).Result != CopyResult.Completed)
            {
                failed = true;
                break;
            }

            pending.Remove(next); // One direction finished cleanly; wait for the other (or the idle timeout).
        }

        if (!failed)
        {
            await CloseAsync(socket, RelayProtocol.Normal, down, handshake: true).ConfigureAwait(false);
            return CloseReason.Completed;
        }

        var code = idle.TimedOut ? RelayProtocol.Policy
            : shutdown.IsCancellationRequested ? WebSocketCloseStatus.EndpointUnavailable
            : RelayProtocol.Error;
        idle.Cancel();
        // No send may be in flight when the close frame goes out; a send stuck on a full window is aborted instead.
        if (await Task.WhenAny(up, Task.Delay(CloseWait, CancellationToken.None)).ConfigureAwait(false) != up)
        {
            socket.Abort();
        }

        await CloseAsync(socket, code, down, handshake: false).ConfigureAwait(false);
        var (sent, received) = (await up.ConfigureAwait(false), await down.ConfigureAwait(false));
        if (idle.TimedOut)
        {
            return CloseReason.IdleTimeout;
        }

        if (shutdown.IsCancellationRequested)
        {
            return CloseReason.ServerShutdown;
        }

        return sent is CopyResult.SourceFailed || received is CopyResult.DestinationFailed ? CloseReason.ClientReset : CloseReason.TargetReset;
    }

    /// <summary>Sends the close frame and waits (bounded) for the receive loop to see the peer's; aborts otherwise.</summary>
    private static async Task CloseAsync(WebSocket socket, WebSocketCloseStatus status, Task<CopyResult> receiving, bool handshake)
    {
        using var cts = new CancellationTokenSource(CloseWait);
        try
        {
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                if (handshake)
                {
                    // Both directions finished (fins exchanged): the receive loop is done, so CloseAsync reads the peer's close.
                    await socket.CloseAsync(status, null, cts.Token).ConfigureAwait(false);
                    return;
                }

                await socket.CloseOutputAsync(status, null, cts.Token).ConfigureAwait(false);
            }

            await receiving.WaitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or TimeoutException or ObjectDisposedException)
        {
            socket.Abort();
        }
    }
}
