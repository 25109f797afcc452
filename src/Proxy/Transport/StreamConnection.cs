using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace Proxy.Transport;

/// <summary>A connection on a port whose routes all end at layer 4. Kestrel's socket transport starts reading into a
/// pipe the moment it accepts, and its read loop cannot be stopped, so the socket could never be handed to a relay.
/// Here the pipes exist only once the chain reads or writes (a PROXY header, a ClientHello peek, a SOCKS handshake) and
/// read only when asked; the action that relays then takes the socket over (<see cref="ISocketTakeoverFeature"/>).
/// An idle forwarded connection so holds no pipes, no pooled block and no transport read loop.</summary>
internal sealed partial class StreamConnection : ConnectionContext, IDuplexPipe, IConnectionIdFeature, IConnectionTransportFeature,
    IConnectionItemsFeature, IConnectionEndPointFeature, IConnectionLifetimeFeature, IConnectionSocketFeature, ISocketTakeoverFeature,
    IConnectionLifetimeNotificationFeature
{
    private static long s_lastId;

    private readonly Socket _socket;
    private readonly StreamConnectionOptions _options;
    private readonly CancellationToken _closeRequested;
    private string? _connectionId;
    private IDictionary<object, object?>? _items;
    private IDuplexPipe? _transport;
    private NetworkStream? _stream;
    private PipeReader? _input;
    private PipeWriter? _output;
    private CancellationTokenSource? _closed;
    private int _state; // 0 open, 1 taken over, 2 closed

    /// <summary>An accepted socket; <paramref name="closeRequested"/> is the listener's token, canceled when its endpoint is unbound.</summary>
    public StreamConnection(Socket socket, EndPoint? localEndPoint, StreamConnectionOptions options, CancellationToken closeRequested = default)
    {
        _socket = socket;
        _options = options;
        _closeRequested = closeRequested;
        LocalEndPoint = localEndPoint;
        RemoteEndPoint = socket.RemoteEndPoint; // Known from the accept; read once.
    }

    public override string ConnectionId
    {
        // Kestrel's own transport also names a connection only when asked.
        get => _connectionId ??= "S" + Interlocked.Increment(ref s_lastId).ToString("x8", CultureInfo.InvariantCulture);
        set => _connectionId = value;
    }

    public override IFeatureCollection Features => this;

    public override IDictionary<object, object?> Items
    {
        get => _items ??= new Dictionary<object, object?>();
        set => _items = value;
    }

    public override IDuplexPipe Transport
    {
        get => _transport ??= this;
        set => _transport = value;
    }

    public override EndPoint? LocalEndPoint { get; set; }

    public override EndPoint? RemoteEndPoint { get; set; }

    public override CancellationToken ConnectionClosed
    {
        get
        {
            if (_closed is null)
            {
                var closed = new CancellationTokenSource();
                if (Interlocked.CompareExchange(ref _closed, closed, null) is not null)
                {
                    closed.Dispose();
                }
                else if (Volatile.Read(ref _state) == 2)
                {
                    closed.Cancel();
                }
            }

            return _closed.Token;
        }
        set => throw new NotSupportedException("The connection's closed token is its own.");
    }

    /// <summary>Canceled when the server asks its connections to finish (the endpoint is unbound): the actions end their
    /// relays on it. One token for all of the listener's connections, so none holds a token source of its own. Kestrel's
    /// own feature replaces this one on a connection Kestrel dispatches.</summary>
    public CancellationToken ConnectionClosedRequested
    {
        get => _closeRequested;
        set => throw new NotSupportedException("The connection's close-requested token is its listener's.");
    }

    public Socket Socket => _socket;

    /// <summary>Asked of this connection alone (its token is shared with the endpoint's others): closes it, a FIN both
    /// ways as <see cref="Abort"/> sends.</summary>
    public void RequestClose() => Close();

    /// <summary>Created on the first read: a reader that reads the socket only when asked, with a zero-byte read first so
    /// a waiting reader holds no buffer.</summary>
    PipeReader IDuplexPipe.Input => _input ??= PipeReader.Create(Stream, _options.Reader);

    PipeWriter IDuplexPipe.Output => _output ??= PipeWriter.Create(Stream, _options.Writer);

    private NetworkStream Stream => _stream ??= new NetworkStream(_socket, ownsSocket: false);

    public bool TryTakeOver(out Socket socket, out ReadOnlyMemory<byte> buffered)
    {
        socket = _socket;
        buffered = ReadOnlyMemory<byte>.Empty;
        if (!ReferenceEquals(_transport ?? this, this) || Volatile.Read(ref _state) != 0)
        {
            return false;
        }

        if (_output is { CanGetUnflushedBytes: true, UnflushedBytes: > 0 })
        {
            return false;
        }

        if (_input is { } input)
        {
            // A canceled TryRead returns whatever is buffered, examined or not (a finished peek leaves it examined).
            input.CancelPendingRead();
            if (input.TryRead(out var result))
            {
                buffered = result.Buffer.ToArray();
                input.AdvanceTo(result.Buffer.End);
            }

            input.Complete();
        }

        _output?.Complete();
        _state = 1;
        return true;
    }

    public override void Abort(ConnectionAbortedException abortReason) => Close();

    public override ValueTask DisposeAsync()
    {
        if (_state != 1)
        {
            _input?.Complete();
            _output?.Complete();
        }

        Close();
        _closed?.Dispose();
        return base.DisposeAsync();
    }

    /// <summary>Closes the socket once: a graceful FIN both ways (as Kestrel's transport does, even for an abort), which
    /// also ends every read and write still pending on it.</summary>
    private void Close()
    {
        if (Interlocked.Exchange(ref _state, 2) == 2)
        {
            return;
        }

        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Already reset by the peer.
        }

        _socket.Dispose();
        try
        {
            _closed?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Disposed by a concurrent DisposeAsync; nobody is listening any more.
        }
    }

    IDictionary<object, object?> IConnectionItemsFeature.Items
    {
        get => Items;
        set => Items = value;
    }
}

/// <summary>How <see cref="StreamConnection"/> builds its pipes (shared by every connection of a listener).</summary>
internal sealed class StreamConnectionOptions(MemoryPool<byte> readPool)
{
    /// <summary>Reads go into one large pooled block (the peek limits bound what a chain stage buffers).</summary>
    public StreamPipeReaderOptions Reader { get; } = new(pool: readPool, bufferSize: readPool.MaxBufferSize,
        minimumReadSize: 1024, leaveOpen: true, useZeroByteReads: true);

    /// <summary>Writes are small (refusals, SOCKS replies, a CONNECT response, handler output).</summary>
    public StreamPipeWriterOptions Writer { get; } = new(minimumBufferSize: 4096, leaveOpen: true);
}
