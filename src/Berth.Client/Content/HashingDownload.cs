using System.Buffers;
using Berth.Client.Transfer;
using Berth.Oci;

namespace Berth.Client.Content;

/// <summary>
/// Downloads a blob into a partial file, hashing as it writes, resuming from what the file already holds (after a
/// dropped connection, or a killed process), and moves it to its final name only when size and digest match.
/// </summary>
internal static class HashingDownload
{
    public static async Task RunAsync(
        Descriptor blob, IImageSource source, string partialPath, string finalPath, ITransferProgress progress,
        Http.RetryPolicy retry, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(partialPath)!);
        Directory.CreateDirectory(Path.GetDirectoryName(finalPath)!);
        using var hash = blob.Digest.Algorithm.CreateHash();
        await using var file = new FileStream(partialPath, new FileStreamOptions
        {
            Mode = FileMode.OpenOrCreate,
            Access = FileAccess.ReadWrite,
            Share = FileShare.None,
            BufferSize = 0,
            Options = FileOptions.Asynchronous,
        });
        var offset = Math.Min(file.Length, blob.Size);
        if (offset > 0)
        {
            await BlobFiles.HashPrefixAsync(file, offset, hash, cancellationToken);
            progress.Note($"{Short(blob.Digest)}: resuming download at {offset} of {blob.Size} bytes");
        }

        file.SetLength(offset);
        file.Seek(offset, SeekOrigin.Begin);
        progress.BlobStarted(blob, offset);
        progress.BlobAdvanced(blob, 0);
        var buffer = ArrayPool<byte>.Shared.Rent(BlobFiles.BufferSize);
        try
        {
            for (var attempt = 1; offset < blob.Size || blob.Size == 0; attempt++)
            {
                try
                {
                    await using var stream = await source.OpenBlobAsync(blob, offset, cancellationToken);
                    int read;
                    while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
                    {
                        if (offset + read > blob.Size)
                        {
                            throw new Registry.RegistryException(Registry.RegistryErrorKind.DigestMismatch,
                                $"blob {blob.Digest} from {source.Name} is longer than its declared {blob.Size} bytes");
                        }

                        await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                        hash.AppendData(buffer, 0, read);
                        offset += read;
                        progress.BlobAdvanced(blob, read);
                    }

                    if (offset < blob.Size)
                    {
                        throw new IOException($"the blob stream ended at {offset} of {blob.Size} bytes");
                    }

                    break;
                }
                catch (Exception e) when (attempt < retry.MaxAttempts && IsTransient(e) && !cancellationToken.IsCancellationRequested)
                {
                    await file.FlushAsync(cancellationToken);
                    var delay = retry.Delay(attempt, null);
                    progress.Note($"{Short(blob.Digest)}: {e.Message}; resuming at {offset} of {blob.Size} bytes in {delay.TotalSeconds:0.0} s");
                    await Task.Delay(delay, retry.Time, cancellationToken);
                }
            }

            await file.FlushAsync(cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        var actual = Digest.FromHash(blob.Digest.Algorithm, hash.GetHashAndReset());
        if (actual != blob.Digest || offset != blob.Size)
        {
            await file.DisposeAsync();
            File.Delete(partialPath);
            throw new Registry.RegistryException(Registry.RegistryErrorKind.DigestMismatch,
                $"blob from {source.Name} hashes to {actual} ({offset} bytes), not {blob.Digest} ({blob.Size} bytes): discarded");
        }

        await file.DisposeAsync();
        File.Move(partialPath, finalPath, overwrite: true);
    }

    internal static bool IsTransient(Exception e) => e switch
    {
        Registry.RegistryException r => r.IsTransient,
        OperationCanceledException => false,
        _ => Http.RetryPolicy.IsTransient(e),
    };

    internal static string Short(Digest digest) => digest.Encoded[..12];
}
