using System.Net;
using System.Net.Sockets;

namespace Proxy.Tests.Infrastructure;

/// <summary>A loopback port where connecting hangs until the dialer's timeout: a listener with a backlog of zero that
/// never accepts, its accept queue filled by one connection. On Linux a SYN to a listener whose accept queue is full is
/// dropped (and retried by the dialer for seconds), which is what an unreachable host looks like, without leaving
/// loopback. Elsewhere <see cref="IsHanging"/> may be false; tests check it before relying on the timeout.</summary>
public sealed class BlackholeListener : IDisposable
{
    private readonly Socket _listener;
    private readonly Socket _filler;

    private BlackholeListener(Socket listener, Socket filler, int port, bool hanging)
    {
        _listener = listener;
        _filler = filler;
        Port = port;
        IsHanging = hanging;
    }

    public int Port { get; }

    public string Address => $"127.0.0.1:{Port}";

    /// <summary>Whether a probe connection really hung (rather than connecting or being refused).</summary>
    public bool IsHanging { get; }

    public static async Task<BlackholeListener> StartAsync()
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(0);
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await filler.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));

        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        var hanging = false;
        try
        {
            await probe.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cts.Token);
        }
        catch (OperationCanceledException)
        {
            hanging = true;
        }
        catch (SocketException)
        {
        }

        return new BlackholeListener(listener, filler, port, hanging);
    }

    public void Dispose()
    {
        _filler.Dispose();
        _listener.Dispose();
    }
}
