using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging;

namespace Proxy.Transport;

/// <summary>One bound TCP endpoint. Each accepted socket becomes a <see cref="StreamConnection"/> when its port serves
/// only layer-4 routes, otherwise Kestrel's own socket connection (the HTTP pipeline's fast path, and the admin API's).
/// Shaped like Kestrel's SocketConnectionListener.
/// <para>A layer-4 connection does not go back to Kestrel: the listener runs the endpoint's chain on it at once, on the
/// thread that accepted it (with inline socket completions, the socket engine's own), as nginx's event loop does.
/// Kestrel's dispatcher would queue it to the thread pool, a hand-off that cost about 3.7 context switches per
/// connection (a pool thread woken, and the socket thread woken again by each socket that thread registered). The
/// listener then does for these connections what Kestrel does for its own: it tracks them, asks them to close when the
/// endpoint is unbound (<see cref="Microsoft.AspNetCore.Connections.Features.IConnectionLifetimeNotificationFeature"/>)
/// and aborts those still open when Kestrel's shutdown timeout passes.</para></summary>
internal sealed partial class RouteSocketListener(
    Socket socket, Func<int, bool> streamsOnly, StreamConnectionOptions streamOptions, SocketConnectionContextFactory kestrel, bool noDelay,
    ConnectionDelegate? layerFourChain, Action disposed, ILogger logger)
    : IConnectionListener
{
    private readonly HashSet<StreamConnection> _running = [];
    private readonly CancellationTokenSource _unbinding = new();
    /// <summary>Exists only while someone waits for the running connections to end; completed and dropped when they have.</summary>
    private TaskCompletionSource? _drained;

    /// <summary>How long to stop accepting after a failure that is not a client's reset (out of descriptors or buffers):
    /// retrying at once would spin the core, as HAProxy's and nginx's accept pauses avoid.</summary>
    private static readonly TimeSpan AcceptPause = TimeSpan.FromMilliseconds(50);

    private static readonly TimeSpan AbortWait = TimeSpan.FromSeconds(1);

    public EndPoint EndPoint { get; } = socket.LocalEndPoint!;

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Socket accepted;
            try
            {
                accepted = await socket.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                return null; // Unbound.
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.OperationAborted)
            {
                return null;
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
            {
                continue; // The client left while still in the backlog.
            }
            catch (SocketException ex)
            {
                Log.AcceptFailed(logger, EndPoint, ex.SocketErrorCode, AcceptPause.TotalMilliseconds);
                await Task.Delay(AcceptPause, cancellationToken).ConfigureAwait(false);
                continue;
            }

            accepted.NoDelay = noDelay;
            // LocalEndPoint is a getsockname call and a new object each time: read once, handed on.
            if (accepted.LocalEndPoint is not IPEndPoint local || !streamsOnly(local.Port))
            {
                return kestrel.Create(accepted);
            }

            var connection = new StreamConnection(accepted, local, streamOptions, _unbinding.Token);
            if (layerFourChain is null)
            {
                return connection;
            }

            _ = RunAsync(connection, layerFourChain);
        }
    }

    /// <summary>Stops accepting, asks every layer-4 connection to close (their shared close-requested token: the actions
    /// end their relays on it) and waits for them; those still open when <paramref name="cancellationToken"/> fires (Kestrel's shutdown timeout, or
    /// its 5 s when a port is removed) are aborted. Kestrel closes its own connections after this, as before.</summary>
    public async ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        socket.Dispose();
        _unbinding.Cancel();
        var drained = Drained();
        try
        {
            await drained.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Abort("The server is shutting down and its timeout passed.");
            await AbortedAsync(drained).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        socket.Dispose();
        kestrel.Dispose();
        disposed();
        var drained = Drained();
        if (!drained.IsCompleted)
        {
            // Kestrel unbinds (and so drains) first; whatever is left must not outlive the listener.
            Abort("The listener was disposed.");
            await AbortedAsync(drained).ConfigureAwait(false);
        }

        // _unbinding is not disposed: it has no timer, and a connection that outlived its abort may still read its token.
    }

    /// <summary>Completes when no layer-4 connection runs any more (one accepted while the endpoint unbinds counts too).</summary>
    private Task Drained()
    {
        lock (_running)
        {
            return _running.Count == 0
                ? Task.CompletedTask
                : (_drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }
    }

    private async Task RunAsync(StreamConnection connection, ConnectionDelegate chain)
    {
        lock (_running)
        {
            _running.Add(connection);
        }

        try
        {
            await chain(connection).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The chain's first stage handles the connection's own failures; this is one of its own.
            Log.ChainFailed(logger, connection.ConnectionId, ex);
        }
        finally
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            lock (_running)
            {
                _running.Remove(connection);
                if (_running.Count == 0)
                {
                    _drained?.TrySetResult();
                    _drained = null;
                }
            }
        }
    }

    /// <summary>Waits at most a second for the aborted connections' chains to end, as Kestrel does for its own: one that
    /// ignores its abort must not hold the shutdown.</summary>
    private async Task AbortedAsync(Task drained)
    {
        if (await Task.WhenAny(drained, Task.Delay(AbortWait)).ConfigureAwait(false) != drained)
        {
            int left;
            lock (_running)
            {
                left = _running.Count;
            }

            Log.NotAllAborted(logger, EndPoint, left);
        }
    }

    private void Abort(string reason)
    {
        StreamConnection[] running;
        lock (_running)
        {
            running = [.. _running];
        }

        var abort = new ConnectionAbortedException(reason);
        foreach (var connection in running)
        {
            connection.Abort(abort);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Accept on {EndPoint} failed ({Error}); accepting again in {PauseMs} ms")]
        public static partial void AcceptFailed(ILogger logger, EndPoint endPoint, SocketError error, double pauseMs);

        [LoggerMessage(3, LogLevel.Warning, "{Count} connections on {EndPoint} had not ended a second after they were aborted")]
        public static partial void NotAllAborted(ILogger logger, EndPoint endPoint, int count);

        [LoggerMessage(2, LogLevel.Error, "Connection {ConnectionId} failed in its chain")]
        public static partial void ChainFailed(ILogger logger, string connectionId, Exception exception);
    }
}
