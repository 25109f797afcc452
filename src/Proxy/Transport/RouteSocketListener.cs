using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging;

namespace Proxy.Transport;

/// <summary>One bound TCP endpoint. Each accepted socket becomes a <see cref="StreamConnection"/> when its port serves
/// only layer-4 routes, otherwise Kestrel's own socket connection (the HTTP pipeline's fast path, and the admin API's).
/// Shaped like Kestrel's SocketConnectionListener.</summary>
internal sealed partial class RouteSocketListener : IConnectionListener
{
    private readonly Socket _socket;
    private readonly Func<int, bool> _streamsOnly;
    private readonly StreamConnectionOptions _streamOptions;
    private readonly SocketConnectionContextFactory _kestrel;
    private readonly bool _noDelay;
    private readonly ILogger _logger;

    public RouteSocketListener(Socket socket, Func<int, bool> streamsOnly, StreamConnectionOptions streamOptions,
        SocketConnectionContextFactory kestrel, bool noDelay, ILogger logger)
    {
        _socket = socket;
        _streamsOnly = streamsOnly;
        _streamOptions = streamOptions;
        _kestrel = kestrel;
        _noDelay = noDelay;
        _logger = logger;
        EndPoint = socket.LocalEndPoint!;
    }

    public EndPoint EndPoint { get; }

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Socket accepted;
            try
            {
                accepted = await _socket.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                return null; // Unbound.
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.OperationAborted)
            {
                return null;
            }
            catch (SocketException ex)
            {
                // The client reset before we accepted it (or the process ran out of descriptors): keep accepting.
                Log.AcceptFailed(_logger, EndPoint, ex.SocketErrorCode);
                continue;
            }

            accepted.NoDelay = _noDelay;
            // LocalEndPoint is a getsockname call and a new object each time: read once, handed on.
            return accepted.LocalEndPoint is IPEndPoint local && _streamsOnly(local.Port)
                ? new StreamConnection(accepted, local, _streamOptions)
                : _kestrel.Create(accepted);
        }
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        _kestrel.Dispose();
        return ValueTask.CompletedTask;
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Debug, "Accept on {EndPoint} failed ({Error}); still accepting")]
        public static partial void AcceptFailed(ILogger logger, EndPoint endPoint, SocketError error);
    }
}
