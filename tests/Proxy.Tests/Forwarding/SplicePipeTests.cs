using System.Net;
using System.Net.Sockets;
using Proxy.Forwarding;
using Proxy.Tests.Infrastructure;

namespace Proxy.Tests.Forwarding;

/// <summary>The kernel pipe a relay splices through, on real loopback sockets: what it moves, end of stream, nothing
/// queued, a full destination, failed sockets.</summary>
public sealed class SplicePipeTests : IAsyncLifetime, IDisposable
{
    // Two connections: bytes go sender → source (spliced) → destination → receiver.
    private Socket _sender = null!;
    private Socket _source = null!;
    private Socket _destination = null!;
    private Socket _receiver = null!;
    private SplicePipe _pipe = null!;

    public async Task InitializeAsync()
    {
        (_sender, _source) = await ConnectedPairAsync();
        (_destination, _receiver) = await ConnectedPairAsync();
        _pipe = SplicePipe.TryCreate(_source, _destination) ?? throw new InvalidOperationException("splice(2) is not available.");
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose()
    {
        // The outer ends first: closing them ends a splice still blocked on the source (end of stream) or on the
        // destination (reset), so a regression that makes splice block fails its test instead of hanging the suite.
        foreach (var socket in new[] { _sender, _receiver, _source, _destination })
        {
            socket.Dispose();
        }

        _pipe.Dispose();
    }

    private static async Task<(Socket Connecting, Socket Accepted)> ConnectedPairAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var connecting = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var accept = listener.AcceptAsync();
        await connecting.ConnectAsync(listener.LocalEndPoint!);
        return (connecting, await accept);
    }

    /// <summary>Waits for the source to have something to read, the way the relay does (a zero-byte read).</summary>
    private Task<int> WaitForSourceAsync()
        => _source.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).AsTask().WaitAsync(TestTimeouts.Io);

    [Fact]
    public async Task A_megabyte_moves_through_the_pipe_intact_and_in_order()
    {
        var payload = new byte[1024 * 1024];
        Random.Shared.NextBytes(payload);
        var received = _receiver.ReadToEndAsync();
        var sent = SendAndCloseAsync(_sender, payload);

        long moved = 0;
        while (true)
        {
            await WaitForSourceAsync();
            var filled = _pipe.Fill(_source);
            if (filled == 0)
            {
                break;
            }

            if (filled > 0)
            {
                Assert.Equal(filled, _pipe.Buffered);
                Assert.True(_pipe.TryDrain(_destination));
                Assert.Equal(0, _pipe.Buffered);
                moved += filled;
            }
        }

        _destination.Shutdown(SocketShutdown.Send);
        await sent;
        Assert.Equal(payload.Length, moved);
        Assert.Equal(payload, await received);
    }

    [Fact]
    public async Task Nothing_queued_is_minus_one_and_the_end_of_stream_is_zero()
    {
        // On a socket left blocking, splice would wait here for data that never comes: off the test thread, with a deadline.
        Assert.Equal(-1, await Task.Run(() => _pipe.Fill(_source)).WaitAsync(TestTimeouts.Io));

        _sender.Shutdown(SocketShutdown.Send);
        await WaitForSourceAsync();

        Assert.Equal(0, _pipe.Fill(_source));
        Assert.Equal(0, _pipe.Buffered);
    }

    [Fact]
    public async Task A_full_destination_leaves_the_rest_in_the_pipe_to_be_read_out_in_order()
    {
        _destination.SendBufferSize = 4096;
        _receiver.ReceiveBufferSize = 4096;
        var payload = new byte[SplicePipe.Capacity];
        Random.Shared.NextBytes(payload);
        var sent = SendAndCloseAsync(_sender, payload);
        while (_pipe.Buffered < payload.Length)
        {
            await WaitForSourceAsync();
            Assert.True(_pipe.Fill(_source) != 0);
        }

        // Nobody reads the receiver, so the destination's buffers fill long before 256 KiB.
        Assert.False(await Task.Run(() => _pipe.TryDrain(_destination)).WaitAsync(TestTimeouts.Io));
        var left = _pipe.Buffered;
        Assert.InRange(left, 1, payload.Length - 1);

        var received = _receiver.ReadToEndAsync();
        var rest = new byte[left];
        var read = 0;
        while (read < left)
        {
            read += _pipe.ReadOut(rest.AsSpan(read, Math.Min(1000, left - read)));
        }

        Assert.Equal(0, _pipe.Buffered);
        await _destination.SendAsync(rest, SocketFlags.None);
        _destination.Shutdown(SocketShutdown.Send);
        await sent;
        Assert.Equal(payload, await received);
    }

    [Fact]
    public void A_reset_source_is_a_connection_reset()
    {
        _sender.LingerState = new LingerOption(true, 0);
        _sender.Close();

        // A reset makes the socket readable; Poll waits for that without reading.
        Assert.True(_source.Poll(TestTimeouts.Io, SelectMode.SelectRead));
        var error = Assert.Throws<SocketException>(() => _pipe.Fill(_source));
        Assert.Equal(SocketError.ConnectionReset, error.SocketErrorCode);
    }

    [Fact]
    public async Task A_destination_its_peer_reset_fails_the_drain()
    {
        await _sender.SendAsync(new byte[100], SocketFlags.None);
        await WaitForSourceAsync();
        Assert.Equal(100, _pipe.Fill(_source));
        _receiver.LingerState = new LingerOption(true, 0);
        _receiver.Close();
        Assert.True(_destination.Poll(TestTimeouts.Io, SelectMode.SelectRead));

        var error = Assert.Throws<SocketException>(() => _pipe.TryDrain(_destination));
        Assert.Contains(error.SocketErrorCode, new[] { SocketError.ConnectionReset, SocketError.Shutdown });
    }

    [Fact]
    public void A_disposed_source_is_an_object_disposed_error_not_another_socket()
    {
        _source.Dispose();

        Assert.Throws<ObjectDisposedException>(() => _pipe.Fill(_source));
    }

    [Fact]
    public async Task Disposing_twice_closes_nothing_that_reuses_its_descriptors()
    {
        _pipe.Dispose();
        // Linux hands out the lowest free descriptors, so this pipe most likely gets the numbers just closed; a second
        // close of them would break it.
        using var next = SplicePipe.TryCreate(_source, _destination)!;
        _pipe.Dispose();

        await _sender.SendAsync(new byte[100], SocketFlags.None);
        await WaitForSourceAsync();
        Assert.Equal(100, next.Fill(_source));
        Assert.True(next.TryDrain(_destination));
        Assert.Equal(100, (await _receiver.ReadExactlyAsync(100)).Length);
    }

    private static async Task SendAndCloseAsync(Socket socket, byte[] payload)
    {
        await socket.SendAsync(payload, SocketFlags.None);
        socket.Shutdown(SocketShutdown.Send);
    }
}
