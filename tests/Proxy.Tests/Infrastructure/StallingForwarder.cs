using System.Net;
using System.Net.Sockets;

namespace Proxy.Tests.Infrastructure;

/// <summary>A TCP forwarder on 127.0.0.1:0 to <c>127.0.0.1:targetPort</c> that can go silent: after <see cref="Stall"/> it
/// stops passing bytes either way but keeps every connection open, like a peer that vanished without a FIN or RST
/// (a crashed host, a dropped NAT entry). Only keepalive can notice that.</summary>
public sealed class StallingForwarder : IAsyncDisposable
{
    private readonly TcpBackend _server;
    private readonly TaskCompletionSource _stalled = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public StallingForwarder(int targetPort)
    {
        _server = new TcpBackend(async (client, ct) =>
        {
            using var target = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await target.ConnectAsync(new IPEndPoint(IPAddress.Loopback, targetPort), ct);
            await Task.WhenAll(PumpAsync(client, target, ct), PumpAsync(target, client, ct));
        });
    }

    public int Port => _server.Port;

    public void Stall() => _stalled.TrySetResult();

    private async Task PumpAsync(Socket from, Socket to, CancellationToken ct)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, ct);
                if (_stalled.Task.IsCompleted)
                {
                    await Task.Delay(Timeout.Infinite, ct); // Swallow everything from now on, closing nothing.
                }

                if (read == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, ct);
            }
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The backend is stopping or a side went away.
        }
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
