using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Proxy.Tests.Infrastructure;

/// <summary>A real UDP server on 127.0.0.1:0 that sends every datagram (0 bytes to 64 KiB) back to its sender unchanged,
/// and remembers which source addresses it saw (for the proxy, one per flow).</summary>
public sealed class UdpEchoServer : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<IPEndPoint, int> _sources = new();
    private readonly Task _loop;
    private long _datagrams;

    public UdpEchoServer()
    {
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 1024 * 1024 };
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Port = ((IPEndPoint)_socket.LocalEndPoint!).Port;
        _loop = EchoAsync();
    }

    public int Port { get; }

    /// <summary>The target as a route names it.</summary>
    public string Address => $"127.0.0.1:{Port}";

    /// <summary>Datagrams echoed so far.</summary>
    public long Datagrams => Interlocked.Read(ref _datagrams);

    /// <summary>Every source address and port that sent a datagram, with how many it sent.</summary>
    public IReadOnlyDictionary<IPEndPoint, int> Sources => _sources;

    private async Task EchoAsync()
    {
        var buffer = new byte[64 * 1024];
        var any = new IPEndPoint(IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var result = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token);
                var from = (IPEndPoint)result.RemoteEndPoint;
                _sources.AddOrUpdate(from, 1, static (_, n) => n + 1);
                Interlocked.Increment(ref _datagrams);
                await _socket.SendToAsync(buffer.AsMemory(0, result.ReceivedBytes), SocketFlags.None, from, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                // ICMP port unreachable for a sender that went away; keep echoing.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Dispose();
        await _loop;
        _stop.Dispose();
    }
}
