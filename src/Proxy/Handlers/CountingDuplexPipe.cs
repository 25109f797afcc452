using System.Buffers;
using System.IO.Pipelines;
using Proxy.Connections;

namespace Proxy.Handlers;

/// <summary>Wraps a connection's transport for a handler so the bytes it consumes and writes are counted into the
/// connection's summary, as relayed bytes are. Counting happens in AdvanceTo/Advance: no allocation per read.</summary>
internal sealed class CountingDuplexPipe(IDuplexPipe inner, ProxyConnection connection) : IDuplexPipe
{
    public PipeReader Input { get; } = new CountingReader(inner.Input, connection);

    public PipeWriter Output { get; } = new CountingWriter(inner.Output, connection);

    private sealed class CountingReader(PipeReader inner, ProxyConnection connection) : PipeReader
    {
        private ReadOnlySequence<byte> _last;

        public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
        {
            var result = await inner.ReadAsync(cancellationToken).ConfigureAwait(false);
            _last = result.Buffer;
            return result;
        }

        public override bool TryRead(out ReadResult result)
        {
            if (!inner.TryRead(out result))
            {
                return false;
            }

            _last = result.Buffer;
            return true;
        }

        public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
        {
            Interlocked.Add(ref connection.BytesFromClient, _last.Slice(_last.Start, consumed).Length);
            _last = default;
            inner.AdvanceTo(consumed, examined);
        }

        public override void CancelPendingRead() => inner.CancelPendingRead();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);
    }

    private sealed class CountingWriter(PipeWriter inner, ProxyConnection connection) : PipeWriter
    {
        public override void Advance(int bytes)
        {
            Interlocked.Add(ref connection.BytesToClient, bytes);
            inner.Advance(bytes);
        }

        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);
    }
}
