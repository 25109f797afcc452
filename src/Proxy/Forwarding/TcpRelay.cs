using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Proxy.Connections;
using Proxy.Transport;

namespace Proxy.Forwarding;

/// <summary>Copies bytes both ways between a client connection and a target socket, with backpressure, half-close in
/// both directions and an idle timeout. The product's hot path: nothing is allocated per read.</summary>
internal static class TcpRelay
{
    /// <summary>Large reads keep syscalls per byte low; rented only while data is flowing (see the zero-byte read).</summary>
    private const int BufferSize = 64 * 1024;

    public static async Task<CloseReason> RunAsync(ProxyConnection connection, Socket target, TimeSpan idleTimeout, CancellationToken shutdown)
    {
        var context = connection.Context;
        using var idle = new IdleTimer(idleTimeout, shutdown);

        Task<CopyResult> upstream, downstream;
        if (context.Features.Get<ISocketTakeoverFeature>() is { } takeover && takeover.TryTakeOver(out var client, out var buffered))
        {
            // Socket to socket both ways: 64 KiB reads, no pipe between, and a real half-close towards the client.
            upstream = SocketToSocketAsync(client, target, buffered, connection, toClient: false, idle);
            downstream = SocketToSocketAsync(target, client, ReadOnlyMemory<byte>.Empty, connection, toClient: true, idle);
        }
        else
        {
            // Kestrel cannot half-close its output (completing it closes both ways), so the target-to-client direction
            // writes to the client's socket itself, which also saves a pipe hop. See KESTREL.md, "Connections".
            var clientSocket = context.Features.Get<IConnectionSocketFeature>()?.Socket;
            upstream = PipeToSocketAsync(context.Transport.Input, target, connection, idle);
            downstream = clientSocket is not null
                ? SocketToSocketAsync(target, clientSocket, ReadOnlyMemory<byte>.Empty, connection, toClient: true, idle)
                : SocketToPipeAsync(target, context.Transport.Output, connection, idle);
        }

        // Each direction cancels the other when it ends any other way than completing (see Ended), so no WhenAny is
        // needed: awaiting both in turn allocates nothing that lives as long as the connection.
        var up = await upstream.ConfigureAwait(false);
        var down = await downstream.ConfigureAwait(false);

        if (idle.TimedOut)
        {
            return CloseReason.IdleTimeout;
        }

        if (up == CopyResult.Completed && down == CopyResult.Completed)
        {
            return CloseReason.Completed;
        }

        if (shutdown.IsCancellationRequested)
        {
            return CloseReason.ServerShutdown;
        }

        return up is CopyResult.SourceFailed || down is CopyResult.DestinationFailed ? CloseReason.ClientReset : CloseReason.TargetReset;
    }

    private static async Task<CopyResult> PipeToSocketAsync(PipeReader input, Socket target, ProxyConnection connection, IdleTimer idle)
    {
        var token = idle.Token;
        while (true)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return Ended(idle, CopyResult.Canceled);
            }
            catch (Exception)
            {
                return Ended(idle, CopyResult.SourceFailed);
            }

            var buffer = result.Buffer;
            if (!buffer.IsEmpty)
            {
                idle.Touch();
                var sent = await SendAsync(target, buffer, token).ConfigureAwait(false);
                if (sent != CopyResult.Completed)
                {
                    input.AdvanceTo(buffer.Start);
                    return Ended(idle, sent);
                }

                Interlocked.Add(ref connection.BytesFromClient, buffer.Length);
            }

            input.AdvanceTo(buffer.End);
            if (result.IsCompleted)
            {
                return Ended(idle, Shutdown(target) ? CopyResult.Completed : CopyResult.DestinationFailed);
            }

            // A peek's deadline can fire just as it finishes; its CancelPendingRead then surfaces here once. Only our
            // own cancellation ends the copy.
            if (result.IsCanceled && token.IsCancellationRequested)
            {
                return Ended(idle, CopyResult.Canceled);
            }
        }
    }

    private static async ValueTask<CopyResult> SendAsync(Socket target, ReadOnlySequence<byte> buffer, CancellationToken token)
    {
        try
        {
            if (buffer.IsSingleSegment)
            {
                await SendAllAsync(target, buffer.First, token).ConfigureAwait(false);
                return CopyResult.Completed;
            }

            // Kestrel's pipe hands out 4 KiB blocks; gather them so one send carries up to 64 KiB, not one block.
            var chunk = ArrayPool<byte>.Shared.Rent(BufferSize);
            try
            {
                while (!buffer.IsEmpty)
                {
                    var length = (int)Math.Min(buffer.Length, chunk.Length);
                    buffer.Slice(0, length).CopyTo(chunk);
                    await SendAllAsync(target, chunk.AsMemory(0, length), token).ConfigureAwait(false);
                    buffer = buffer.Slice(length);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(chunk);
            }

            return CopyResult.Completed;
        }
        catch (OperationCanceledException)
        {
            return CopyResult.Canceled;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return CopyResult.DestinationFailed;
        }
    }

    private static async ValueTask SendAllAsync(Socket socket, ReadOnlyMemory<byte> data, CancellationToken token)
    {
        while (!data.IsEmpty)
        {
            var sent = await socket.SendAsync(data, SocketFlags.None, token).ConfigureAwait(false);
            data = data[sent..];
        }
    }

    /// <summary>Copies one direction between two sockets, after sending <paramref name="first"/> (bytes the chain read
    /// before the relay took the socket over).</summary>
    private static async Task<CopyResult> SocketToSocketAsync(
        Socket source, Socket destination, ReadOnlyMemory<byte> first, ProxyConnection connection, bool toClient, IdleTimer idle)
    {
        var token = idle.Token;
        byte[]? buffer = null;
        try
        {
            if (!first.IsEmpty)
            {
                try
                {
                    await SendAllAsync(destination, first, token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                    return Ended(idle, CopyResult.DestinationFailed);
                }

                Count(connection, toClient, first.Length);
            }

            var flowing = false;
            while (true)
            {
                // A zero-byte read waits for data without holding a buffer, so an idle connection costs no 64 KiB
                // (YARP StreamCopier does the same). While a bulk stream flows (the last read filled the buffer) more is
                // almost surely queued: read straight on and save a system call per 64 KiB.
                if (!flowing)
                {
                    var wait = source.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, token);
                    if (!wait.IsCompletedSuccessfully)
                    {
                        if (buffer is not null)
                        {
                            ArrayPool<byte>.Shared.Return(buffer);
                            buffer = null;
                        }

                        await wait.ConfigureAwait(false);
                    }
                }

                buffer ??= ArrayPool<byte>.Shared.Rent(BufferSize);
                var read = await source.ReceiveAsync(buffer, SocketFlags.None, token).ConfigureAwait(false);
                flowing = read == buffer.Length;
                if (read == 0)
                {
                    return Ended(idle, Shutdown(destination) ? CopyResult.Completed : CopyResult.DestinationFailed);
                }

                idle.Touch();
                try
                {
                    await SendAllAsync(destination, buffer.AsMemory(0, read), token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                    return Ended(idle, CopyResult.DestinationFailed);
                }

                Count(connection, toClient, read);
                if (flowing && connection.Snapshot.Splice && SplicePipe.TryCreate(source, destination) is { } pipe)
                {
                    // A bulk stream: from here on the kernel moves it, socket to pipe to socket.
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = null;
                    return await SpliceAsync(source, destination, pipe, connection, toClient, idle).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException)
        {
            return Ended(idle, CopyResult.Canceled);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return Ended(idle, CopyResult.SourceFailed);
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>Copies one direction with <c>splice(2)</c> once it carries a bulk stream (see <see cref="SplicePipe"/>):
    /// the same loop as <see cref="SocketToSocketAsync"/> without the bytes passing through this process, except what
    /// a full destination leaves in the pipe, which is copied out and sent asynchronously.</summary>
    private static async Task<CopyResult> SpliceAsync(
        Socket source, Socket destination, SplicePipe pipe, ProxyConnection connection, bool toClient, IdleTimer idle)
    {
        var token = idle.Token;
        byte[]? buffer = null;
        try
        {
            var flowing = true;
            while (true)
            {
                if (!flowing)
                {
                    await source.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, token).ConfigureAwait(false);
                }

                var moved = pipe.Fill(source);
                if (moved == 0)
                {
                    return Ended(idle, Shutdown(destination) ? CopyResult.Completed : CopyResult.DestinationFailed);
                }

                flowing = moved >= BufferSize;
                if (moved < 0)
                {
                    continue;
                }

                idle.Touch();
                try
                {
                    while (!pipe.TryDrain(destination))
                    {
                        buffer ??= ArrayPool<byte>.Shared.Rent(BufferSize);
                        var read = pipe.ReadOut(buffer);
                        await SendAllAsync(destination, buffer.AsMemory(0, read), token).ConfigureAwait(false);
                    }
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                    return Ended(idle, CopyResult.DestinationFailed);
                }

                Count(connection, toClient, moved);
                Interlocked.Add(ref connection.BytesSpliced, moved);
            }
        }
        catch (OperationCanceledException)
        {
            return Ended(idle, CopyResult.Canceled);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return Ended(idle, CopyResult.SourceFailed);
        }
        finally
        {
            pipe.Dispose();
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>For transports without a socket: writes through the pipe; the end closes the client both ways.</summary>
    private static async Task<CopyResult> SocketToPipeAsync(Socket source, PipeWriter output, ProxyConnection connection, IdleTimer idle)
    {
        var token = idle.Token;
        try
        {
            while (true)
            {
                await source.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, token).ConfigureAwait(false);
                var memory = output.GetMemory(BufferSize);
                var read = await source.ReceiveAsync(memory, SocketFlags.None, token).ConfigureAwait(false);
                if (read == 0)
                {
                    await output.CompleteAsync().ConfigureAwait(false);
                    return Ended(idle, CopyResult.Completed);
                }

                idle.Touch();
                output.Advance(read);
                var flush = await output.FlushAsync(token).ConfigureAwait(false);
                Interlocked.Add(ref connection.BytesToClient, read);
                if (flush.IsCompleted)
                {
                    return Ended(idle, CopyResult.DestinationFailed);
                }
            }
        }
        catch (OperationCanceledException)
        {
            return Ended(idle, CopyResult.Canceled);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return Ended(idle, CopyResult.SourceFailed);
        }
    }

    private static void Count(ProxyConnection connection, bool toClient, long bytes)
        => Interlocked.Add(ref toClient ? ref connection.BytesToClient : ref connection.BytesFromClient, bytes);

    /// <summary>A direction that ends any other way than completing stops the other one too.</summary>
    private static CopyResult Ended(IdleTimer idle, CopyResult result)
    {
        if (result != CopyResult.Completed)
        {
            idle.Cancel();
        }

        return result;
    }

    /// <summary>Half-closes a socket (sends FIN); false if it is already gone.</summary>
    public static bool Shutdown(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Send);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }
}
