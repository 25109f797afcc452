using System.Net;
using System.Net.Sockets;

namespace Proxy.Forwarding;

/// <summary>Opens TCP connections to targets with a connect timeout, reporting failures as values.</summary>
internal static class TargetDialer
{
    public static async ValueTask<(Socket? Socket, SocketError Error)> ConnectAsync(
        string host, int port, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (IPAddress.TryParse(host, out var address))
            {
                await socket.ConnectAsync(new IPEndPoint(address, port), cts.Token).ConfigureAwait(false);
            }
            else
            {
                // Resolves and tries each address in turn (happy-eyeballs-lite), within the same timeout.
                await socket.ConnectAsync(new DnsEndPoint(host, port), cts.Token).ConfigureAwait(false);
            }

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
