using System.Buffers;
using System.Runtime.CompilerServices;

namespace Berth.Registry.Storage;

/// <summary>
/// Keeps one small object in <c>uploads/</c>, written once per process and driver before its first upload. Every
/// upload's bytes are an object directly in that folder (<see cref="StorageKeys.Upload"/>), and S3 servers that keep
/// objects as files remove a folder left empty when they delete an object: s3rver, the emulator the tests run, then
/// failed concurrent deletes with ENOENT and ended its process on a concurrent upload's write into the removed folder.
/// With this object there the folder never empties. Not an upload id, so the orphan purge leaves it alone.
/// </summary>
public static class UploadsFolder
{
    public const string MarkerKey = "uploads/.keep";

    private static readonly ConditionalWeakTable<IStorageDriver, Task> Ensured = new();

    public static Task EnsureAsync(IStorageDriver storage, CancellationToken cancellationToken)
    {
        var ensured = Ensured.GetValue(storage, WriteIfMissingAsync);
        if (ensured.IsFaulted || ensured.IsCanceled)
        {
            // A failed attempt (storage down) is not kept: the next upload tries again.
            Ensured.Remove(storage);
        }

        return ensured.WaitAsync(cancellationToken);
    }

    private static async Task WriteIfMissingAsync(IStorageDriver storage)
    {
        if (await storage.StatAsync(MarkerKey, CancellationToken.None) is not null)
        {
            return;
        }

        var writer = await storage.OpenWriterAsync(MarkerKey, null, CancellationToken.None)
            ?? throw new IOException("storage refused a new writer");
        await using (writer)
        {
            await writer.WriteAsync(ReadOnlySequence<byte>.Empty, CancellationToken.None);
            await writer.CommitAsync(CancellationToken.None);
        }
    }
}
