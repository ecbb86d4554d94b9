using System.Buffers;
using System.IO.Pipelines;
using Microsoft.Win32.SafeHandles;

namespace Berth.Server.Endpoints;

internal static class StreamCopy
{
    // One read and one socket send per chunk. Large enough that a 256 MiB blob is 1,024 system calls each way,
    // small enough that 16 concurrent pulls hold 4 MiB of buffers.
    private const int FileChunkBytes = 256 * 1024;

    /// <summary>Copies exactly <paramref name="count"/> bytes through one pooled buffer.</summary>
    public static async Task CopyAsync(Stream source, Stream destination, long count, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(256 * 1024);
        try
        {
            while (count > 0)
            {
                var read = await source.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, count)), cancellationToken);
                if (read == 0)
                {
                    throw new IOException("stored blob is shorter than its recorded size");
                }

                await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                count -= read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Sends <paramref name="count"/> bytes of a file from <paramref name="offset"/>. Each chunk is read (pread)
    /// straight into memory the response pipe owns and then flushed to the socket: one copy into the process, one
    /// out, no intermediate buffer. (Kestrel has no zero-copy sendfile; its SendFileAsync reads through a FileStream
    /// into a 64 KiB buffer and copies that again into 4 KiB pipe blocks.) Reads are synchronous: the file is local
    /// and usually in the page cache, and an asynchronous read of a regular file is a blocking read on another
    /// thread anyway.
    /// </summary>
    public static async Task SendFileAsync(PipeWriter destination, SafeFileHandle file, long offset, long count, CancellationToken cancellationToken)
    {
        while (count > 0)
        {
            var memory = destination.GetMemory((int)Math.Min(FileChunkBytes, count));
            var wanted = (int)Math.Min(memory.Length, count);
            var read = RandomAccess.Read(file, memory.Span[..wanted], offset);
            if (read == 0)
            {
                throw new IOException("stored blob is shorter than its recorded size");
            }

            destination.Advance(read);
            offset += read;
            count -= read;
            var flushed = await destination.FlushAsync(cancellationToken);
            if (flushed.IsCompleted || flushed.IsCanceled)
            {
                return; // the client is gone
            }
        }
    }
}
