using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Proxy.Forwarding;

/// <summary>A kernel pipe that moves one direction of a relay from socket to socket with <c>splice(2)</c>: the bytes
/// never enter this process (HAProxy's <c>option splice-auto</c>, nginx has none). Linux only.</summary>
/// <remarks>Both calls are non-blocking: the relay waits for the source with a zero-byte read (which .NET performs as a
/// one-byte peek), and when the destination's send buffer is full it copies what is left in the pipe out through an
/// ordinary asynchronous send, since .NET has no way to await writability alone.</remarks>
internal sealed partial class SplicePipe : IDisposable
{
    /// <summary>Whether this system can splice (set once; false after the first failure to create a pipe).</summary>
    public static bool Supported { get; private set; } = OperatingSystem.IsLinux();

    /// <summary>The pipe's size: 256 KiB carries four of the relay's 64 KiB reads per pair of calls.</summary>
    internal const int Capacity = 256 * 1024;

    private const int EPIPE = 32;
    private const int EAGAIN = 11;
    private const int ENFILE = 23;
    private const int EMFILE = 24;
    private const int ECONNRESET = 104;
    private const int ENOTCONN = 107;
    private const int O_NONBLOCK = 0x800;
    private const int O_CLOEXEC = 0x80000;
    private const int F_SETPIPE_SZ = 1031;
    private const uint SPLICE_F_MOVE = 1;
    private const uint SPLICE_F_NONBLOCK = 2;

    private readonly int _read;
    private readonly int _write;
    private bool _disposed;

    private SplicePipe(int read, int write)
    {
        _read = read;
        _write = write;
    }

    /// <summary>Bytes moved into the pipe and not yet out of it.</summary>
    public int Buffered { get; private set; }

    /// <summary>A new pipe from <paramref name="source"/> to <paramref name="destination"/>, or null (and
    /// <see cref="Supported"/> false from then on) if the system refuses one.</summary>
    public static unsafe SplicePipe? TryCreate(Socket source, Socket destination)
    {
        if (!Supported)
        {
            return null;
        }

        // splice(2) blocks on a blocking socket whatever its flags say. .NET makes a socket's descriptor non-blocking
        // on its first asynchronous operation; this makes sure of it (no system call when it already is).
        source.Blocking = false;
        destination.Blocking = false;

        int* fds = stackalloc int[2];
        try
        {
            if (Pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0)
            {
                // Out of descriptors is no reason to stop splicing for good; anything else (seccomp, an odd kernel) is.
                if (Marshal.GetLastPInvokeError() is not (ENFILE or EMFILE))
                {
                    Supported = false;
                }

                return null;
            }
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            Supported = false;
            return null;
        }

        // A larger pipe is a tuning, not a requirement: the default (64 KiB) works too.
        _ = Fcntl(fds[1], F_SETPIPE_SZ, Capacity);
        return new SplicePipe(fds[0], fds[1]);
    }

    /// <summary>Moves what the source has queued (up to the pipe's free space) into the pipe: the bytes moved, 0 at the
    /// source's end of stream, or -1 when nothing is queued yet. Throws <see cref="SocketException"/> for a failed
    /// source.</summary>
    public int Fill(Socket source)
    {
        var moved = Splice(source.SafeHandle, _write, fromSocket: true, Capacity - Buffered);
        if (moved > 0)
        {
            Buffered += moved;
        }

        return moved;
    }

    /// <summary>Moves what the pipe holds into the destination until it is empty (true) or the destination's send
    /// buffer is full (false). Throws <see cref="SocketException"/> for a failed destination.</summary>
    public bool TryDrain(Socket destination)
    {
        while (Buffered > 0)
        {
            var moved = Splice(destination.SafeHandle, _read, fromSocket: false, Buffered);
            if (moved < 0)
            {
                return false;
            }

            if (moved == 0)
            {
                // An empty pipe that should hold bytes: never loop on it; end the relay as a failed destination.
                throw new SocketException((int)SocketError.NoData);
            }

            Buffered -= moved;
        }

        return true;
    }

    /// <summary>Copies what the pipe holds into <paramref name="buffer"/> (at most its length) and empties that much of
    /// the pipe: how a full destination is then written with an ordinary asynchronous send.</summary>
    public unsafe int ReadOut(Span<byte> buffer)
    {
        fixed (byte* start = buffer)
        {
            var read = (int)Read(_read, start, (nuint)Math.Min(buffer.Length, Buffered));
            if (read < 0)
            {
                throw new SocketException(ErrnoToSocketError(Marshal.GetLastPInvokeError()));
            }

            Buffered -= read;
            return read;
        }
    }

    private static int Splice(SafeHandle socket, int pipe, bool fromSocket, int length)
    {
        var added = false;
        try
        {
            // The reference keeps the descriptor number from being closed and reused by another socket mid-call.
            socket.DangerousAddRef(ref added);
            var fd = (int)socket.DangerousGetHandle();
            var moved = fromSocket
                ? SpliceNative(fd, 0, pipe, 0, (nuint)length, SPLICE_F_MOVE | SPLICE_F_NONBLOCK)
                : SpliceNative(pipe, 0, fd, 0, (nuint)length, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
            if (moved >= 0)
            {
                return (int)moved;
            }

            var errno = Marshal.GetLastPInvokeError();
            return errno == EAGAIN ? -1 : throw new SocketException(ErrnoToSocketError(errno));
        }
        finally
        {
            if (added)
            {
                socket.DangerousRelease();
            }
        }
    }

    /// <summary>The errors a relay tells apart (reset, broken pipe); anything else is reported as a socket error.</summary>
    private static int ErrnoToSocketError(int errno) => errno switch
    {
        ECONNRESET => (int)SocketError.ConnectionReset,
        EPIPE => (int)SocketError.Shutdown,
        ENOTCONN => (int)SocketError.NotConnected,
        _ => (int)SocketError.SocketError,
    };

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _ = Close(_read);
        _ = Close(_write);
    }

    [LibraryImport("libc", EntryPoint = "splice", SetLastError = true)]
    private static partial nint SpliceNative(int fdIn, nint offIn, int fdOut, nint offOut, nuint length, uint flags);

    [LibraryImport("libc", EntryPoint = "pipe2", SetLastError = true)]
    private static unsafe partial int Pipe2(int* fds, int flags);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static unsafe partial nint Read(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
