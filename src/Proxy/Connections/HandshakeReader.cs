using System.Buffers;
using System.IO.Pipelines;

namespace Proxy.Connections;

/// <summary>What a handshake parser made of the bytes so far.</summary>
internal enum HandshakeStep
{
    NeedMore,
    Done,
    Failed,
}

/// <summary>A pure handshake parser: decides from the buffered bytes, and on <see cref="HandshakeStep.Done"/> says how
/// many bytes its message took.</summary>
internal delegate HandshakeStep HandshakeParser<TResult>(in ReadOnlySequence<byte> buffer, out TResult result, out int consumed);

/// <summary>Reads the messages of a client handshake (CONNECT head, SOCKS5 greeting, auth and request) from the
/// connection's input under one deadline. Consumes exactly each message, so pipelined bytes stay for the next step
/// and for the destination.</summary>
internal sealed class HandshakeReader : IDisposable
{
    private readonly PipeReader _input;
    private readonly CancellationTokenSource _deadline;
    private readonly CancellationTokenRegistration _registration;

    public HandshakeReader(PipeReader input, TimeSpan timeout)
    {
        _input = input;
        _deadline = new CancellationTokenSource(timeout);
        // CancelPendingRead yields a cancelled ReadResult instead of an exception: a slow client is an expected case.
        _registration = _deadline.Token.UnsafeRegister(static state => ((PipeReader)state!).CancelPendingRead(), input);
    }

    /// <summary>Why the last read failed when it returned <see cref="HandshakeStep.NeedMore"/>: the client went away
    /// or the deadline passed.</summary>
    public bool TimedOut => _deadline.IsCancellationRequested;

    /// <summary>Reads until <paramref name="parser"/> decides. <see cref="HandshakeStep.NeedMore"/> means the client
    /// closed or the deadline passed before it could.</summary>
    public async ValueTask<(HandshakeStep Step, TResult Result)> ReadAsync<TResult>(HandshakeParser<TResult> parser)
    {
        while (true)
        {
            var read = await _input.ReadAsync().ConfigureAwait(false);
            var buffer = read.Buffer;
            var step = parser(buffer, out var result, out var consumed);
            if (step == HandshakeStep.Done)
            {
                _input.AdvanceTo(buffer.GetPosition(consumed));
                return (step, result);
            }

            if (step == HandshakeStep.Failed || read.IsCompleted || read.IsCanceled)
            {
                _input.AdvanceTo(buffer.Start);
                return (step, result);
            }

            // Examined everything, consumed nothing: the next read waits for new bytes instead of spinning.
            _input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    public void Dispose()
    {
        _registration.Dispose();
        _deadline.Dispose();
    }
}
