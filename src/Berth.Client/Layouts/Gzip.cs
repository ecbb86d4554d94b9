using System.IO.Compression;
using Berth.Client.Content;
using Berth.Oci;

namespace Berth.Client.Layouts;

/// <summary>Layer compression, with the uncompressed (diff_id) and compressed digests computed in the same pass.</summary>
internal static class Gzip
{
    public static bool IsGzip(ReadOnlySpan<byte> start) => start.Length >= 2 && start[0] == 0x1f && start[1] == 0x8b;

    /// <summary>Compresses <paramref name="tar"/> into <paramref name="target"/>; returns (diff_id, digest, compressed size).</summary>
    public static async Task<(Digest DiffId, Digest Digest, long Size)> CompressAsync(Stream tar, string target, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(target, FileMode.Create, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous);
        using var compressed = new HashingWriteStream(file, leaveOpen: true);
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        using (var uncompressed = new HashingWriteStream(gzip, leaveOpen: true))
        {
            await tar.CopyToAsync(uncompressed, BlobFiles.BufferSize, cancellationToken);
            await uncompressed.FlushAsync(cancellationToken);
            var diffId = uncompressed.Digest();
            await gzip.DisposeAsync();
            return (diffId, compressed.Digest(), compressed.BytesWritten);
        }
    }

    /// <summary>Decompresses (if needed) into <paramref name="target"/>; returns the uncompressed digest and size.</summary>
    public static async Task<(Digest DiffId, long Size)> DecompressAsync(string source, string target, CancellationToken cancellationToken)
    {
        await using var input = BlobFiles.OpenRead(source);
        var head = new byte[2];
        var got = await input.ReadAtLeastAsync(head, 2, throwOnEndOfStream: false, cancellationToken);
        input.Seek(0, SeekOrigin.Begin);
        await using var file = new FileStream(target, FileMode.Create, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous);
        using var hashing = new HashingWriteStream(file, leaveOpen: true);
        if (IsGzip(head.AsSpan(0, got)))
        {
            await using var gzip = new GZipStream(input, CompressionMode.Decompress);
            await gzip.CopyToAsync(hashing, BlobFiles.BufferSize, cancellationToken);
        }
        else
        {
            await input.CopyToAsync(hashing, BlobFiles.BufferSize, cancellationToken);
        }

        return (hashing.Digest(), hashing.BytesWritten);
    }
}
