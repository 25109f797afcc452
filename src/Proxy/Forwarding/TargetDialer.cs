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
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        IPAddress[] addresses;
        try
        {
            addresses = await target.Addresses!.GetAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return (null, Cancelled(cancellationToken));
        }

        var error = SocketError.HostNotFound;
        var start = target.Addresses.Start(addresses.Length);
        for (var i = 0; i < addresses.Length; i++)
        {
            var address = addresses[(start + i) % addresses.Length];
            (var socket, error) = await ConnectAsync(new IPEndPoint(address, target.Port), cancellationToken, deadline.Token).ConfigureAwait(false);
            if (socket is not null || error is SocketError.OperationAborted or SocketError.TimedOut)
            {
                return (socket, error);
            }
        }

        return (null, error);
    }

    /// <summary>An address literal's connect: one state machine per connection (not a wrapper awaiting another).</summary>
    private static ValueTask<(Socket? Socket, SocketError Error)> ConnectAsync(IPEndPoint endPoint, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        return ConnectAsync(endPoint, cancellationToken, deadline.Token, deadline);
    }

    /// <param name="endPoint">Where to connect, with a socket of its family.</param>
    /// <param name="cancellationToken">The caller's: its cancellation is reported as <see cref="SocketError.OperationAborted"/>.</param>
    /// <param name="deadline">That token or the connect timeout: the timeout is reported as <see cref="SocketError.TimedOut"/>.</param>
    /// <param name="ownedDeadline">The source of <paramref name="deadline"/> when this connect owns it (disposed here).</param>
    private static async ValueTask<(Socket? Socket, SocketError Error)> ConnectAsync(
        IPEndPoint endPoint, CancellationToken cancellationToken, CancellationToken deadline, CancellationTokenSource? ownedDeadline = null)
    {
        using var owned = ownedDeadline;
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endPoint, deadline).ConfigureAwait(false);
            return (socket, SocketError.Success);
        }
        catch (OperationCanceledException)
        {
            socket.Dispose();
            return (null, Cancelled(cancellationToken));
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            return (null, ex.SocketErrorCode);
        }
    }

    private static SocketError Cancelled(CancellationToken cancellationToken)
        => cancellationToken.IsCancellationRequested ? SocketError.OperationAborted : SocketError.TimedOut;
}
