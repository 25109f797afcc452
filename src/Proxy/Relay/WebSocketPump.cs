using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Net.WebSockets;
using Proxy.Forwarding;

namespace Proxy.Relay;

/// <summary>The copy loops of a relay tunnel: bytes into binary messages (at most 64 KiB) and back, a <c>fin</c> text
/// message for a half-close. Backpressure is natural: each loop awaits its write before reading again, so a slow
/// reader slows the sender and a tunnel holds at most one message buffer per direction.</summary>
internal static class WebSocketPump
{
    /// <summary>Client pipe to WebSocket (the ingress's upstream).</summary>
    public static async Task<CopyResult> PipeToWebSocketAsync(PipeReader input, WebSocket socket, IdleTimer idle, Action<long> counted)
    {
        byte[]? gather = null;
        try
        {
            while (true)
            {
                ReadResult result;
                try
                {
                    result = await input.ReadAsync(idle.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return CopyResult.Canceled;
                }
                catch (Exception)
                {
                    return CopyResult.SourceFailed;
                }

                var buffer = result.Buffer;
                try
                {
                    while (!buffer.IsEmpty)
                    {
                        idle.Touch();
                        var length = (int)Math.Min(buffer.Length, RelayProtocol.MaxMessageBytes);
                        ReadOnlyMemory<byte> message;
                        if (buffer.First.Length >= length)
                        {
                            message = buffer.First[..length];
                        }
                        else
                        {
                            gather ??= ArrayPool<byte>.Shared.Rent(RelayProtocol.MaxMessageBytes);
                            buffer.Slice(0, length).CopyTo(gather);
                            message = gather.AsMemory(0, length);
                        }

                        // Sends are not cancellable by token (a cancelled send aborts anyway and is slower): Abort() stops them.
                        await socket.SendAsync(message, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None).ConfigureAwait(false);
                        counted(length);
                        buffer = buffer.Slice(length);
                    }
                }
                catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or OperationCanceledException)
                {
                    input.AdvanceTo(result.Buffer.End);
                    return CopyResult.DestinationFailed;
                }

                input.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    return await SendFinAsync(socket).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            if (gather is not null)
            {
                ArrayPool<byte>.Shared.Return(gather);
            }
        }
    }

    /// <summary>Socket to WebSocket (the egress's downstream, and the ingress's upstream once it took the client socket
    /// over), after sending <paramref name="first"/> (bytes read from the socket before).</summary>
    public static async Task<CopyResult> SocketToWebSocketAsync(
        Socket source, ReadOnlyMemory<byte> first, WebSocket socket, IdleTimer idle, Action<long> counted)
    {
        byte[]? buffer = null;
        try
        {
            while (!first.IsEmpty)
            {
                var chunk = first[..Math.Min(first.Length, RelayProtocol.MaxMessageBytes)];
                try
                {
                    await socket.SendAsync(chunk, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or OperationCanceledException)
                {
                    return CopyResult.DestinationFailed;
                }

                counted(chunk.Length);
                first = first[chunk.Length..];
            }

            while (true)
            {
                int read;
                try
                {
                    var wait = source.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, idle.Token);
                    if (!wait.IsCompletedSuccessfully)
                    {
                        if (buffer is not null)
                        {
                            ArrayPool<byte>.Shared.Return(buffer);
                            buffer = null;
                        }

                        await wait.ConfigureAwait(false);
                    }

                    buffer ??= ArrayPool<byte>.Shared.Rent(RelayProtocol.MaxMessageBytes);
                    read = await source.ReceiveAsync(buffer.AsMemory(0, RelayProtocol.MaxMessageBytes), SocketFlags.None, idle.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return CopyResult.Canceled;
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                    return CopyResult.SourceFailed;
                }

                if (read == 0)
                {
                    return await SendFinAsync(socket).ConfigureAwait(false);
                }

                idle.Touch();
                try
                {
                    await socket.SendAsync(buffer.AsMemory(0, read), WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or OperationCanceledException)
                {
                    return CopyResult.DestinationFailed;
                }

                counted(read);
            }
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>WebSocket to socket (both sides' other direction). Keeps a receive pending whenever it is not writing, so
    /// keepalive pongs are processed on a busy tunnel.</summary>
    public static async Task<CopyResult> WebSocketToSocketAsync(WebSocket socket, Socket destination, IdleTimer idle, Action<long> counted)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(RelayProtocol.MaxMessageBytes);
        try
        {
            while (true)
            {
                ValueWebSocketReceiveResult result;
                try
                {
                    // Not cancelled by token: that would abort the WebSocket before a close frame could be sent
                    // (WebSocketTunnel ends this loop with the close handshake, or Abort()).
                    result = await socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return CopyResult.Canceled;
                }
                catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException)
                {
                    return CopyResult.SourceFailed;
                }

                switch (result.MessageType)
                {
                    case WebSocketMessageType.Close:
                        // A normal close without a fin still ends the stream cleanly; anything else is the peer's error.
                        TcpRelay.Shutdown(destination);
                        return socket.CloseStatus == RelayProtocol.Normal ? CopyResult.Completed : CopyResult.SourceFailed;
                    case WebSocketMessageType.Text:
                        if (!result.EndOfMessage || !buffer.AsSpan(0, result.Count).SequenceEqual(RelayProtocol.Fin.Span))
                        {
                            return CopyResult.SourceFailed; // Only "fin" is defined.
                        }

                        return TcpRelay.Shutdown(destination) ? CopyResult.Completed : CopyResult.DestinationFailed;
                }

                idle.Touch();
                try
                {
                    var data = buffer.AsMemory(0, result.Count);
                    while (!data.IsEmpty)
                    {
                        data = data[await destination.SendAsync(data, SocketFlags.None, idle.Token).ConfigureAwait(false)..];
                    }
                }
                catch (OperationCanceledException)
                {
                    return CopyResult.Canceled;
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                    return CopyResult.DestinationFailed;
                }

                counted(result.Count);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task<CopyResult> SendFinAsync(WebSocket socket)
    {
        try
        {
            await socket.SendAsync(RelayProtocol.Fin, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None).ConfigureAwait(false);
            return CopyResult.Completed;
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
            return CopyResult.DestinationFailed;
        }
    }

}
