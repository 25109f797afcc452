using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Proxy.Udp;

/// <summary>One client of a UDP route: a socket connected to the chosen target, whose replies go back to the client from
/// the listening port. Holds no buffer while idle: it peeks for a datagram before renting one.</summary>
internal sealed class UdpFlow : IDisposable
{
    private readonly Socket _target;
    private readonly CancellationTokenSource _stop = new();
    private long _lastActivity = Environment.TickCount64;

    public UdpFlow(Routing.Route route, SocketAddress client, IPEndPoint clientEndPoint, Socket target, string targetName)
    {
        Route = route;
        Client = client;
        ClientEndPoint = clientEndPoint;
        _target = target;
        TargetName = targetName;
    }

    /// <summary>The route that opened the flow: its counters and limits stay with the flow across reloads.</summary>
    public Routing.Route Route { get; }

    /// <summary>The client's address, the key of the flow table (compared by value, no allocation per datagram).</summary>
    public SocketAddress Client { get; }

    public IPEndPoint ClientEndPoint { get; }

    /// <summary>The client's IP address, IPv4-mapped addresses unmapped.</summary>
    public IPAddress ClientAddress => ClientEndPoint.Address.IsIPv4MappedToIPv6 ? ClientEndPoint.Address.MapToIPv4() : ClientEndPoint.Address;

    public string TargetName { get; }

    public long Started { get; } = Stopwatch.GetTimestamp();

    public long DatagramsIn;
    public long BytesIn;
    public long DatagramsOut;
    public long BytesOut;

    public long IdleMilliseconds => Environment.TickCount64 - Volatile.Read(ref _lastActivity);

    /// <summary>Forwards one client datagram to the target.</summary>
    public async ValueTask SendAsync(ReadOnlyMemory<byte> datagram)
    {
        Volatile.Write(ref _lastActivity, Environment.TickCount64);
        try
        {
            await _target.SendAsync(datagram, SocketFlags.None).ConfigureAwait(false);
            DatagramsIn++;
            BytesIn += datagram.Length;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // UDP is lossy by contract: a datagram the target's socket refuses (ICMP unreachable) is dropped.
        }
    }

    /// <summary>Relays the target's datagrams back to the client through <paramref name="listener"/> until stopped.</summary>
    public async Task ReceiveRepliesAsync(Socket listener)
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            byte[]? buffer = null;
            try
            {
                // Peek without a buffer (nothing consumed), then rent one only for the datagram that is there.
                await _target.ReceiveAsync(Memory<byte>.Empty, SocketFlags.Peek, token).ConfigureAwait(false);
                buffer = ArrayPool<byte>.Shared.Rent(UdpListener.MaxDatagram);
                var read = await _target.ReceiveAsync(buffer, SocketFlags.None, token).ConfigureAwait(false);
                Volatile.Write(ref _lastActivity, Environment.TickCount64);
                await listener.SendToAsync(buffer.AsMemory(0, read), SocketFlags.None, Client, token).ConfigureAwait(false);
                DatagramsOut++;
                BytesOut += read;
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
                // ICMP port unreachable from the target surfaces here on a connected UDP socket; keep the flow.
            }
            finally
            {
                if (buffer is not null)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _target.Dispose();
        _stop.Dispose();
    }
}
