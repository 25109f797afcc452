using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Proxy.Tests.Infrastructure;
using Proxy.Transport;

namespace Proxy.Tests.Transport;

/// <summary>The layer-4 transport connection on real loopback sockets: lazy pipes, what a take-over hands on, refusals,
/// close and abort, and its feature collection.</summary>
public sealed class StreamConnectionTests : IAsyncLifetime, IDisposable
{
    private readonly LargeBlockMemoryPool _pool = new();
    private readonly CancellationTokenSource _unbinding = new();
    private Socket _client = null!;
    private StreamConnection _connection = null!;

    public async Task InitializeAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        _client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var accept = listener.AcceptAsync();
        await _client.ConnectAsync(listener.LocalEndPoint!);
        var accepted = await accept;
        _connection = new StreamConnection(accepted, accepted.LocalEndPoint, new StreamConnectionOptions(_pool), _unbinding.Token);
    }

    public async Task DisposeAsync() => await _connection.DisposeAsync();

    public void Dispose()
    {
        _client.Dispose();
        _pool.Dispose();
        _unbinding.Dispose();
    }

    [Fact]
    public async Task Peeked_bytes_go_with_the_socket_and_later_bytes_come_from_it()
    {
        await _client.SendAsync("hello ");
        await PeekAsync(6);

        Assert.True(Takeover.TryTakeOver(out var socket, out var buffered));
        Assert.Equal("hello ", Encoding.ASCII.GetString(buffered.Span));

        await _client.SendAsync("world");
        Assert.Equal("world", Encoding.ASCII.GetString(await socket.ReadExactlyAsync(5)));
    }

    [Fact]
    public async Task A_peek_fed_one_byte_at_a_time_hands_on_every_byte_read()
    {
        var bytes = "PROXY"u8.ToArray();
        for (var i = 0; i < bytes.Length; i++)
        {
            await _client.SendAsync(bytes.AsMemory(i, 1), SocketFlags.None);
            await PeekAsync(i + 1);
        }

        Assert.True(Takeover.TryTakeOver(out _, out var buffered));
        Assert.Equal("PROXY", Encoding.ASCII.GetString(buffered.Span));
    }

    [Fact]
    public async Task Consumed_handshake_bytes_stay_behind_and_the_rest_is_handed_on()
    {
        await _client.SendAsync("HELLO\nDATA");
        var input = _connection.Transport.Input;
        var result = await ReadAtLeastAsync(input, 10);
        input.AdvanceTo(result.Buffer.GetPosition(6)); // A handshake parser consumed its 6 bytes.

        Assert.True(Takeover.TryTakeOver(out _, out var buffered));
        Assert.Equal("DATA", Encoding.ASCII.GetString(buffered.Span));
    }

    [Fact]
    public async Task A_connection_nobody_read_hands_on_its_socket_and_nothing_else()
    {
        Assert.True(Takeover.TryTakeOver(out var socket, out var buffered));
        Assert.True(buffered.IsEmpty);

        await _client.SendAsync("first bytes");
        Assert.Equal("first bytes", Encoding.ASCII.GetString(await socket.ReadExactlyAsync(11)));
    }

    [Fact]
    public async Task A_wrapped_transport_keeps_its_pipes()
    {
        var inner = _connection.Transport;
        _connection.Transport = new DuplexPipe(inner.Input, inner.Output);

        Assert.False(Takeover.TryTakeOver(out _, out _));

        // Still usable through the pipes.
        await _client.SendAsync("x");
        Assert.Equal("x", Encoding.ASCII.GetString((await ReadAtLeastAsync(_connection.Transport.Input, 1)).Buffer.ToArray()));
    }

    [Fact]
    public async Task An_unsent_response_keeps_the_pipes_until_it_is_flushed()
    {
        var output = _connection.Transport.Output;
        output.Write("reply"u8);

        Assert.False(Takeover.TryTakeOver(out _, out _));

        await output.FlushAsync();
        Assert.Equal("reply", Encoding.ASCII.GetString(await _client.ReadExactlyAsync(5)));
        Assert.True(Takeover.TryTakeOver(out _, out _));
        Assert.False(Takeover.TryTakeOver(out _, out _)); // Once only.
    }

    [Fact]
    public async Task Abort_closes_the_socket_and_signals_connection_closed()
    {
        var closed = _connection.ConnectionClosed;
        var pending = _connection.Transport.Input.ReadAsync().AsTask();

        _connection.Abort(new ConnectionAbortedException("test"));

        Assert.True(closed.IsCancellationRequested);
        Assert.True(await _client.IsClosedByPeerAsync());
        // The read that was waiting ends (fails, or sees the end of the stream) instead of hanging.
        Assert.Same(pending, await Task.WhenAny(pending, Task.Delay(TestTimeouts.Io)));
        Assert.True(pending.IsFaulted || (await pending).IsCompleted);
    }

    [Fact]
    public void The_close_request_is_the_listeners_unbinding_and_does_not_close()
    {
        var lifetime = _connection.Features.Get<IConnectionLifetimeNotificationFeature>()!;
        var token = lifetime.ConnectionClosedRequested;
        Assert.False(token.IsCancellationRequested);

        _unbinding.Cancel();

        Assert.True(token.IsCancellationRequested);
        Assert.False(_connection.ConnectionClosed.IsCancellationRequested); // A request, not a close.
    }

    [Fact]
    public async Task A_close_request_for_this_connection_alone_closes_it()
    {
        _connection.Features.Get<IConnectionLifetimeNotificationFeature>()!.RequestClose();

        Assert.True(_connection.ConnectionClosed.IsCancellationRequested);
        Assert.True(await _client.IsClosedByPeerAsync());
        Assert.False(_unbinding.IsCancellationRequested); // The endpoint's other connections were not asked.
    }

    [Fact]
    public async Task Dispose_after_a_takeover_closes_the_socket_once()
    {
        Assert.True(Takeover.TryTakeOver(out var socket, out _));
        await _connection.DisposeAsync();
        await _connection.DisposeAsync();

        Assert.True(await _client.IsClosedByPeerAsync());
        Assert.Throws<ObjectDisposedException>(() => socket.Send("x"u8));
        Assert.True(_connection.ConnectionClosed.IsCancellationRequested);
    }

    [Fact]
    public void Features_are_the_connection_itself_and_others_can_be_set_replaced_and_hidden()
    {
        var features = _connection.Features;
        Assert.Same(_connection, features.Get<IConnectionSocketFeature>());
        Assert.Same(_connection, features.Get<ISocketTakeoverFeature>());
        Assert.Null(features.Get<IConnectionHeartbeatFeature>());

        var revision = features.Revision;
        var marker = new Marker();
        features.Set(marker);
        Assert.Same(marker, features.Get<Marker>());
        Assert.NotEqual(revision, features.Revision);

        features.Set<ISocketTakeoverFeature>(null); // A layer that wraps the socket hides the take-over.
        Assert.Null(features.Get<ISocketTakeoverFeature>());
        Assert.DoesNotContain(features, pair => pair.Key == typeof(ISocketTakeoverFeature));
        Assert.Contains(features, pair => pair.Key == typeof(Marker) && ReferenceEquals(pair.Value, marker));

        for (var i = 0; i < 20; i++)
        {
            features[typeof(Marker).MakeArrayType(i + 1)] = marker; // Grows past its first block.
        }

        Assert.Same(marker, features.Get<Marker>());
        Assert.Same(_connection, features.Get<IConnectionEndPointFeature>());
    }

    [Fact]
    public void Endpoints_and_id_are_read_once()
    {
        Assert.Equal(_client.LocalEndPoint, _connection.RemoteEndPoint);
        Assert.Equal(_client.RemoteEndPoint, _connection.LocalEndPoint);
        Assert.Same(_connection.ConnectionId, _connection.ConnectionId);
        _connection.Items["k"] = "v";
        Assert.Equal("v", _connection.Features.Get<IConnectionItemsFeature>()!.Items["k"]);
    }

    private ISocketTakeoverFeature Takeover => _connection.Features.Get<ISocketTakeoverFeature>()!;

    /// <summary>Reads until <paramref name="count"/> bytes are buffered and leaves them unconsumed, as the chain's
    /// peeks do.</summary>
    private async Task PeekAsync(int count)
    {
        var input = _connection.Transport.Input;
        var result = await ReadAtLeastAsync(input, count);
        input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
    }

    private static async Task<ReadResult> ReadAtLeastAsync(PipeReader input, int count)
    {
        using var timeout = new CancellationTokenSource(TestTimeouts.Io);
        return await input.ReadAtLeastAsync(count, timeout.Token);
    }

    private sealed class Marker;

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input => input;

        public PipeWriter Output => output;
    }
}
