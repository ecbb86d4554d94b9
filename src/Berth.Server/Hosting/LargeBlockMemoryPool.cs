using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.AspNetCore.Connections;

namespace Berth.Server.Hosting;

/// <summary>
/// Kestrel's connection buffers in blocks of <see cref="BlockBytes"/> rather than its own pool's 4 KiB. The socket
/// transport receives into one block per system call, so a 256 MiB upload took 65,536 receives (and as many thread
/// pool wake-ups) with 4 KiB blocks; with 64 KiB blocks it takes 4,096. An idle connection holds no block: the
/// transport waits for data with a zero-byte receive before it rents one.
/// </summary>
internal sealed class LargeBlockMemoryPool : MemoryPool<byte>
{
    public const int BlockBytes = 64 * 1024;

    // Blocks kept for reuse; beyond that a returned block is left to the collector (16 MiB at most held idle).
    private const int MaxRetained = 256;

    private readonly ConcurrentQueue<Block> _free = new();
    private int _retained;

    public override int MaxBufferSize => BlockBytes;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, BlockBytes);
        if (_free.TryDequeue(out var block))
        {
            Interlocked.Decrement(ref _retained);
            block.Lease();
            return block;
        }

        var fresh = new Block(this, GC.AllocateUninitializedArray<byte>(BlockBytes, pinned: true));
        fresh.Lease();
        return fresh;
    }

    protected override void Dispose(bool disposing)
    {
        _free.Clear();
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

    private sealed class Block(LargeBlockMemoryPool pool, byte[] array) : IMemoryOwner<byte>
    {
        private int _leased;

        // Pinned (allocated on the pinned object heap): the transport hands this memory to the kernel.
        public Memory<byte> Memory { get; } = array;

        public void Lease() => _leased = 1;

        public void Dispose()
        {
            // A second Dispose of the same lease must not put the block in the queue twice.
            if (Interlocked.Exchange(ref _leased, 0) == 1)
            {
                pool.Return(this);
            }
        }
    }
}

/// <summary>Gives Kestrel's transports <see cref="LargeBlockMemoryPool"/>s in place of its 4 KiB pinned-block pools.</summary>
internal sealed class LargeBlockMemoryPoolFactory : IMemoryPoolFactory<byte>
{
    public MemoryPool<byte> Create(MemoryPoolOptions? options = null) => new LargeBlockMemoryPool();
}
