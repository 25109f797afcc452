using System.Net;
using System.Net.Sockets;

namespace Proxy.Tests.Infrastructure;

/// <summary>A real TCP server on 127.0.0.1:0 that runs <c>serve</c> for each accepted connection until disposed.</summary>
public sealed class TcpBackend : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private readonly List<Task> _connections = [];
    private int _accepted;

    /// <param name="serve">Runs once per accepted connection.</param>
    /// <param name="address">Where to listen; loopback by default.</param>
    /// <param name="port">A given port (a backend started again where an earlier one listened); any free one by default.</param>
    public TcpBackend(Func<Socket, CancellationToken, Task> serve, IPAddress? address = null, int port = 0)
    {
        address ??= IPAddress.Loopback;
        _listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(address, port));
        _listener.Listen(512);
        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        _acceptLoop = AcceptAsync(serve);
    }

    public int Port { get; }

    public string Address => $"127.0.0.1:{Port}";

    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Echoes every byte; on the client's FIN, finishes sending and half-closes too.</summary>
    public static TcpBackend Echo(int port = 0, IPAddress? address = null) => new(EchoAsync, address, port);

    private static async Task EchoAsync(Socket socket, CancellationToken ct)
    {
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, ct)) > 0)
        {
            await socket.SendAsync(buffer.AsMemory(0, read), ct);
        }

        socket.Shutdown(SocketShutdown.Send);
    }

    /// <summary>Says <paramref name="text"/> as soon as a client connects, then echoes (a server-speaks-first protocol).</summary>
    public static TcpBackend Greeting(string text) => new(async (socket, ct) =>
    {
        await socket.SendAsync(System.Text.Encoding.ASCII.GetBytes(text), ct);
        var buffer = new byte[4096];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, ct)) > 0)
        {
            await socket.SendAsync(buffer.AsMemory(0, read), ct);
        }
    });

    private async Task AcceptAsync(Func<Socket, CancellationToken, Task> serve)
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            Interlocked.Increment(ref _accepted);
            lock (_connections)
            {
                _connections.Add(ServeAsync(socket, serve));
            }
        }
    }

    private async Task ServeAsync(Socket socket, Func<Socket, CancellationToken, Task> serve)
    {
        using (socket)
        {
            try
            {
                await serve(socket, _stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Dispose();
        await _acceptLoop;
        Task[] connections;
        lock (_connections)
        {
            connections = [.. _connections];
        }

        await Task.WhenAll(connections).WaitAsync(TestTimeouts.Io);
        _stop.Dispose();
    }
}
