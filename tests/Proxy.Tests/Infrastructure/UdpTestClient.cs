using System.Net;
using System.Net.Sockets;

namespace Proxy.Tests.Infrastructure;

/// <summary>A datagram received by a <see cref="UdpTestClient"/>: its bytes and who sent it.</summary>
public sealed record UdpDatagram(byte[] Data, IPEndPoint From);

/// <summary>A real UDP client socket bound to a loopback address (127.0.0.1 unless told otherwise, any 127.x works on
/// Linux), with bounded receives: every wait ends by <see cref="TestTimeouts.Io"/> at the latest.</summary>
public sealed class UdpTestClient : IDisposable
{
    private readonly byte[] _buffer = new byte[64 * 1024];

    public UdpTestClient(IPAddress? local = null)
    {
        local ??= IPAddress.Loopback;
        Socket = new Socket(local.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        Socket.Bind(new IPEndPoint(local, 0));
        LocalEndPoint = (IPEndPoint)Socket.LocalEndPoint!;
    }

    public Socket Socket { get; }

    /// <summary>The client's address and port, as the proxy sees it (and logs it).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Sends one datagram to 127.0.0.1:<paramref name="port"/>.</summary>
    public async Task SendAsync(int port, ReadOnlyMemory<byte> datagram)
    {
        using var cts = new CancellationTokenSource(TestTimeouts.Io);
        var sent = await Socket.SendToAsync(datagram, SocketFlags.None, new IPEndPoint(IPAddress.Loopback, port), cts.Token);
        Assert.Equal(datagram.Length, sent);
    }

    /// <summary>The next datagram; fails the test when none arrives within <paramref name="timeout"/> (default <see cref="TestTimeouts.Io"/>).</summary>
    public async Task<UdpDatagram> ReceiveAsync(TimeSpan? timeout = null)
        => await TryReceiveAsync(timeout ?? TestTimeouts.Io)
            ?? throw new TimeoutException($"UDP client {LocalEndPoint}: no datagram within {timeout ?? TestTimeouts.Io}.");

    /// <summary>The next datagram, or null when none arrives within <paramref name="timeout"/> (or the port it last sent to
    /// answered with ICMP port unreachable, which Linux reports as a refused receive).</summary>
    public async Task<UdpDatagram?> TryReceiveAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            var result = await Socket.ReceiveFromAsync(_buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), cts.Token);
            return new UdpDatagram(_buffer.AsSpan(0, result.ReceivedBytes).ToArray(), (IPEndPoint)result.RemoteEndPoint);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            return null;
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return null;
        }
    }

    /// <summary>Sends <paramref name="datagram"/> to 127.0.0.1:<paramref name="port"/> and returns the reply, asserting it
    /// comes from that very address and port (a UDP client only accepts replies from where it sent).</summary>
    public async Task<byte[]> ExchangeAsync(int port, ReadOnlyMemory<byte> datagram)
    {
        await SendAsync(port, datagram);
        var reply = await ReceiveAsync();
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, port), reply.From);
        return reply.Data;
    }

    /// <summary>Sends <paramref name="datagram"/> and asserts it comes back unchanged from 127.0.0.1:<paramref name="port"/>.</summary>
    public async Task AssertEchoesAsync(int port, ReadOnlyMemory<byte> datagram)
    {
        var reply = await ExchangeAsync(port, datagram);
        Assert.True(datagram.Span.SequenceEqual(reply),
            $"UDP client {LocalEndPoint}: sent {datagram.Length} bytes, got {reply.Length} different bytes back.");
    }

    /// <summary>Sends <paramref name="datagram"/> and asserts nothing comes back within <paramref name="window"/> (default 1.5 s).</summary>
    public async Task AssertNoReplyAsync(int port, ReadOnlyMemory<byte> datagram, TimeSpan? window = null)
    {
        await SendAsync(port, datagram);
        var reply = await TryReceiveAsync(window ?? UdpPorts.NoReplyWindow);
        Assert.True(reply is null, $"UDP client {LocalEndPoint}: expected no reply from port {port}, got {reply?.Data.Length} bytes from {reply?.From}.");
    }

    public void Dispose() => Socket.Dispose();
}

/// <summary>Free UDP ports for tests (bound then released, like <see cref="TestClient.FreePort"/>).</summary>
public static class UdpPorts
{
    /// <summary>How long a test waits to conclude that a datagram gets no reply.</summary>
    public static TimeSpan NoReplyWindow { get; } = TimeSpan.FromMilliseconds(1500);

    /// <summary>A UDP port free on 127.0.0.1 right now.</summary>
    public static int Free()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    /// <summary>A port number free on 127.0.0.1 for both UDP and TCP right now.</summary>
    public static int FreeForUdpAndTcp()
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var port = Free();
            if (CanBindTcp(port))
            {
                return port;
            }
        }

        throw new InvalidOperationException("No port number free for both UDP and TCP after 100 attempts.");
    }

    /// <summary>True when a UDP socket can bind 127.0.0.1:<paramref name="port"/> now (nothing else holds it).</summary>
    public static bool CanBindUdp(int port)
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            return false;
        }
    }

    private static bool CanBindTcp(int port)
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            return false;
        }
    }
}
