using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Proxy.Forwarding;

/// <summary>Opens TCP connections to targets with a connect timeout, reporting failures as values.</summary>
internal static class TargetDialer
{
    /// <summary>Dials <paramref name="target"/>: its address literal, or the addresses its host name resolves to (the answer
    /// kept between connections, see <see cref="TargetAddresses"/>), starting at the next one for each connection and
    /// trying the others in turn, each with a socket of its own family.</summary>
    /// <param name="target">A Forward route's target.</param>
    /// <param name="timeout">For the whole connect, a first lookup of the name included.</param>
    /// <param name="cancellationToken">Aborts the connect (reported as <see cref="SocketError.OperationAborted"/>).</param>
    public static ValueTask<(Socket? Socket, SocketError Error)> ConnectAsync(ForwardTarget target, TimeSpan timeout, CancellationToken cancellationToken)
        => target.EndPoint is { } literal ? ConnectAsync(literal, timeout, cancellationToken) : ConnectByNameAsync(target, timeout, cancellationToken);

    private static async ValueTask<(Socket? Socket, SocketError Error)> ConnectByNameAsync(
        ForwardTarget target, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        IPAddress[] addresses;
        using (var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            cts.CancelAfter(timeout);
            try
            {
                addresses = await target.Addresses!.GetAsync(cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return (null, cancellationToken.IsCancellationRequested ? SocketError.OperationAborted : SocketError.TimedOut);
            }
        }

        var error = SocketError.HostNotFound;
        var start = target.Addresses.Start(addresses.Length);
        for (var i = 0; i < addresses.Length; i++)
        {
            var address = addresses[(start + i) % addresses.Length];
            var left = timeout - Stopwatch.GetElapsedTime(started);
            if (left <= TimeSpan.Zero)
            {
                return (null, SocketError.TimedOut);
            }

            (var socket, error) = await ConnectAsync(new IPEndPoint(address, target.Port), left, cancellationToken).ConfigureAwait(false);
            if (socket is not null || error is SocketError.OperationAborted or SocketError.TimedOut)
            {
                return (socket, error);
            }
        }

        return (null, error);
    }

    private static async ValueTask<(Socket? Socket, SocketError Error)> ConnectAsync(IPEndPoint endPoint, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endPoint, cts.Token).ConfigureAwait(false);
            return (socket, SocketError.Success);
        }
        catch (OperationCanceledException)
        {
            socket.Dispose();
            return (null, cancellationToken.IsCancellationRequested ? SocketError.OperationAborted : SocketError.TimedOut);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            return (null, ex.SocketErrorCode);
        }
    }
}
