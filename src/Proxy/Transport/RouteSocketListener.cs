using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging;

namespace Proxy.Transport;

/// <summary>One bound TCP endpoint. Each accepted socket becomes a <see cref="StreamConnection"/> when its port serves
/// only layer-4 routes, otherwise Kestrel's own socket connection (the HTTP pipeline's fast path, and the admin API's).
/// Shaped like Kestrel's SocketConnectionListener.</summary>
internal sealed partial class RouteSocketListener(
    Socket socket, Func<int, bool> streamsOnly, StreamConnectionOptions streamOptions, SocketConnectionContextFactory kestrel, bool noDelay, ILogger logger)
    : IConnectionListener
{
    /// <summary>How long to stop accepting after a failure that is not a client's reset (out of descriptors or buffers):
    /// retrying at once would spin the core, as HAProxy's and nginx's accept pauses avoid.</summary>
    private static readonly TimeSpan AcceptPause = TimeSpan.FromMilliseconds(50);

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
            return accepted.LocalEndPoint is IPEndPoint local && streamsOnly(local.Port)
                ? new StreamConnection(accepted, local, streamOptions)
                : kestrel.Create(accepted);
        }
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        socket.Dispose();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        socket.Dispose();
        kestrel.Dispose();
        return ValueTask.CompletedTask;
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Accept on {EndPoint} failed ({Error}); accepting again in {PauseMs} ms")]
        public static partial void AcceptFailed(ILogger logger, EndPoint endPoint, SocketError error, double pauseMs);
    }
}
