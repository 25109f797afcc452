using System.Runtime.InteropServices;
using Proxy.Transport;

namespace Proxy.Tests.Transport;

/// <summary>The one block pool every listener shares: fixed 32 KiB blocks, reuse, and still reusing after a listener's
/// unbind disposed it.</summary>
public sealed class LargeBlockMemoryPoolTests
{
    [Fact]
    public void A_returned_block_is_handed_out_again()
    {
        using var pool = new LargeBlockMemoryPool();
        var first = pool.Rent();
        var array = ArrayOf(first.Memory);
        first.Dispose();

        using var second = pool.Rent(LargeBlockMemoryPool.BlockSize);
        Assert.Same(array, ArrayOf(second.Memory));
        Assert.Equal(LargeBlockMemoryPool.BlockSize, second.Memory.Length);
    }

    [Fact]
    public void More_than_a_block_is_refused()
        => Assert.Throws<ArgumentOutOfRangeException>(() => new LargeBlockMemoryPool().Rent(LargeBlockMemoryPool.BlockSize + 1));

    [Fact]
    public void A_pool_filled_to_its_limit_and_disposed_retains_blocks_again()
    {
        using var pool = new LargeBlockMemoryPool();
        var blocks = new List<System.Buffers.IMemoryOwner<byte>>();
        for (var i = 0; i < LargeBlockMemoryPool.MaxRetained; i++)
        {
            blocks.Add(pool.Rent());
        }

        blocks.ForEach(block => block.Dispose()); // The free list is full.
        pool.Dispose(); // What Kestrel does to its pools when one listener is unbound: the free blocks go.

        var after = pool.Rent();
        var kept = ArrayOf(after.Memory);
        after.Dispose();
        using var again = pool.Rent();
        Assert.Same(kept, ArrayOf(again.Memory));
    }

    private static byte[] ArrayOf(Memory<byte> memory)
        => MemoryMarshal.TryGetArray<byte>(memory, out var segment) ? segment.Array! : throw new InvalidOperationException("Not array-backed.");
}
