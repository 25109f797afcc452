using Microsoft.AspNetCore.Connections;
using System.Buffers;
using System.Collections.Concurrent;

namespace Proxy.Transport;

/// <summary>The memory pool layer-4 connections read clients into while the chain still reads them through pipes (a
/// relay that could not take the socket over keeps doing so), with 32 KiB blocks instead of Kestrel's 4 KiB: a bulk
/// stream needs a quarter of the syscalls, and the relay sends up to 64 KiB at once from the gathered blocks. Idle connections hold no block (Kestrel waits for
/// data before allocating); blocks are pinned, reused, and beyond <see cref="MaxRetained"/> left to the GC.</summary>
internal sealed class LargeBlockMemoryPool : MemoryPool<byte>
{
    public const int BlockSize = 32 * 1024;

    /// <summary>At most this many free blocks (32 MiB) are kept for reuse.</summary>
    internal const int MaxRetained = 1024;

    private readonly ConcurrentQueue<Block> _free = new();
    private int _retained;

    public override int MaxBufferSize => BlockSize;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, BlockSize);
        if (_free.TryDequeue(out var block))
        {
            Interlocked.Decrement(ref _retained);
            return block;
        }

        return new Block(this);
    }

    /// <summary>Lets the free blocks go and stays usable: the pool is shared by every listener, and Kestrel disposes
    /// its pools when one listener is unbound.</summary>
    protected override void Dispose(bool disposing)
    {
        while (_free.TryDequeue(out _))
        {
            Interlocked.Decrement(ref _retained);
        }
    }

    private void Return(Block block)
    {
        if (Interlocked.Increment(ref _retained) <= MaxRetained)
        {
            _free.Enqueue(block);
        }
        else
        {
            Interlocked.Decrement(ref _retained);
        }
    }

    /// <summary>Gives Kestrel's socket connections (ports that serve HTTP) the same blocks from the same pool, so the
    /// process retains at most <see cref="MaxRetained"/> free blocks however many listeners and I/O queues ask; a
    /// listener that is unbound disposes what it was given, which only lets the free blocks go.</summary>
    public sealed class Factory(LargeBlockMemoryPool pool) : IMemoryPoolFactory<byte>
    {
        public MemoryPool<byte> Create(MemoryPoolOptions? options = null) => pool;
    }

    private sealed class Block(LargeBlockMemoryPool pool) : IMemoryOwner<byte>
    {
        private readonly byte[] _array = GC.AllocateUninitializedArray<byte>(BlockSize, pinned: true);

        public Memory<byte> Memory => _array;

        public void Dispose() => pool.Return(this);
    }
}
