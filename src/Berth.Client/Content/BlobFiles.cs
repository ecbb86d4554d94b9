using System.Buffers;
using System.Security.Cryptography;
using Berth.Oci;

namespace Berth.Client.Content;

/// <summary>Reading and hashing local files, with pooled buffers.</summary>
internal static class BlobFiles
{
    public const int BufferSize = 1 << 20;

    /// <summary>Opens for sequential reading, without a FileStream buffer of its own (our reads are large).</summary>
    public static FileStream OpenRead(string path, long offset = 0)
    {
        var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Open,
            Access = FileAccess.Read,
            Share = FileShare.Read,
            BufferSize = 0,
            Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
        });
        if (offset > 0)
        {
            stream.Seek(offset, SeekOrigin.Begin);
        }

        return stream;
    }

    /// <summary>Feeds <paramref name="hash"/> with the first <paramref name="length"/> bytes of a file (resuming a partial download).</summary>
    public static async Task HashPrefixAsync(string path, long length, IncrementalHash hash, CancellationToken cancellationToken)
    {
        await using var stream = OpenRead(path);
        await HashPrefixAsync(stream, length, hash, cancellationToken);
    }

    /// <summary>Feeds <paramref name="hash"/> with the first <paramref name="length"/> bytes of an open stream.</summary>
    public static async Task HashPrefixAsync(Stream stream, long length, IncrementalHash hash, CancellationToken cancellationToken)
    {
        stream.Seek(0, SeekOrigin.Begin);
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            var left = length;
            while (left > 0)
            {
                var read = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), cancellationToken);
                if (read == 0)
                {
                    break;
                }

                hash.AppendData(buffer, 0, read);
                left -= read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The digest of a whole file.</summary>
    public static async Task<(Digest Digest, long Size)> DigestAsync(string path, CancellationToken cancellationToken)
    {
        using var hash = DigestAlgorithm.Sha256.CreateHash();
        var size = new FileInfo(path).Length;
        await HashPrefixAsync(path, size, hash, cancellationToken);
        return (Digest.FromHash(DigestAlgorithm.Sha256, hash.GetHashAndReset()), size);
    }

    /// <summary>Writes a file through a temporary name so readers never see half of it.</summary>
    public static async Task WriteAtomicAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = $"{path}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        await File.WriteAllBytesAsync(temp, content.ToArray(), cancellationToken);
        File.Move(temp, path, overwrite: true);
    }
}
