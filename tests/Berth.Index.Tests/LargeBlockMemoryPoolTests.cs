using System.Runtime.InteropServices;
using Berth.Server.Hosting;

namespace Berth.Index.Tests;

/// <summary>
/// Kestrel's connection buffers come from this pool: a block handed to two connections at once would mix one request's
/// bytes into another's.
/// </summary>
public sealed class LargeBlockMemoryPoolTests
{
    [Fact]
    public void A_block_is_64_KiB_and_a_larger_request_is_refused()
    {
        using var pool = new LargeBlockMemoryPool();
        using var block = pool.Rent();
        Assert.Equal(LargeBlockMemoryPool.BlockBytes, block.Memory.Length);
        Assert.Equal(64 * 1024, pool.MaxBufferSize);
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(LargeBlockMemoryPool.BlockBytes + 1));
    }

    [Fact]
    public void A_block_disposed_twice_goes_back_once()
    {
        using var pool = new LargeBlockMemoryPool();
        var first = pool.Rent();
        var memory = first.Memory;
        first.Dispose();
        first.Dispose();

        using var again = pool.Rent();
        using var other = pool.Rent();
        Assert.True(again.Memory.Span == memory.Span, "a returned block is reused");
        Assert.False(other.Memory.Span == memory.Span, "the same block was handed out twice");
    }

    [Fact]
    public async Task Concurrent_renters_never_share_a_block()
    {
        using var pool = new LargeBlockMemoryPool();
        var clash = 0;
        await Task.WhenAll(Enumerable.Range(1, 8).Select(id => Task.Run(async () =>
        {
            for (var i = 0; i < 500; i++)
            {
                using var block = pool.Rent();
                var ints = MemoryMarshal.Cast<byte, int>(block.Memory.Span);
                ints.Fill(id);
                await Task.Yield();
                if (MemoryMarshal.Cast<byte, int>(block.Memory.Span).IndexOfAnyExcept(id) >= 0)
                {
                    Interlocked.Increment(ref clash);
                }
            }
        })));
        Assert.Equal(0, clash);
    }
}
