using System.Buffers;

namespace Proxy.Tests.Buffers;

/// <summary>Builds multi-segment ReadOnlySequence values so parsers are tested the way sockets deliver bytes.</summary>
public static class SequenceFactory
{
    /// <summary>One segment per chunk, in order; empty chunks become empty segments.</summary>
    public static ReadOnlySequence<byte> Create(params byte[][] chunks)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        if (chunks.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new Segment(chunks[0], 0);
        var last = first;
        for (int i = 1; i < chunks.Length; i++)
        {
            last = last.Append(chunks[i]);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    /// <summary>Cuts <paramref name="data"/> at the given ascending offsets (0 and data.Length allowed).</summary>
    public static ReadOnlySequence<byte> Split(byte[] data, params int[] cutPoints)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(cutPoints);
        var chunks = new byte[cutPoints.Length + 1][];
        int start = 0;
        for (int i = 0; i < cutPoints.Length; i++)
        {
            chunks[i] = data[start..cutPoints[i]];
            start = cutPoints[i];
        }

        chunks[^1] = data[start..];
        return Create(chunks);
    }

    /// <summary>Every byte in its own segment, the worst case for a parser that assumes contiguity.</summary>
    public static ReadOnlySequence<byte> OneByteSegments(byte[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var chunks = new byte[data.Length][];
        for (int i = 0; i < data.Length; i++)
        {
            chunks[i] = [data[i]];
        }

        return Create(chunks);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
