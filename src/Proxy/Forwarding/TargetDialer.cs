using System.Net;
using System.Net.Sockets;

namespace Proxy.Forwarding;

/// <summary>Opens TCP connections to targets with a connect timeout, reporting failures as values.</summary>
internal static class TargetDialer
{
    /// <param name="target">An <see cref="IPEndPoint"/>, dialed with a socket of its own family; or a
    /// <see cref="DnsEndPoint"/>, resolved and each address tried in turn (happy-eyeballs-lite) within the same timeout,
    /// with a dual-mode socket.</param>
    /// <param name="timeout">For the whole connect, resolution included.</param>
    /// <param name="cancellationToken">Aborts the connect (reported as <see cref="SocketError.OperationAborted"/>).</param>
    public static async ValueTask<(Socket? Socket, SocketError Error)> ConnectAsync(EndPoint target, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        var socket = target is IPEndPoint ip
            ? new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true }
            : new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(target, cts.Token).ConfigureAwait(false);

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
