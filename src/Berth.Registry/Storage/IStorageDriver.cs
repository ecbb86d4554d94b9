using System.Buffers;

namespace Berth.Registry.Storage;

/// <summary>
/// The storage seam: a small key-based store of byte objects. Keys are '/'-separated paths built by
/// <see cref="StorageKeys"/> from validated names only. All OCI semantics live above this interface,
/// so a driver is only bytes in, bytes out.
/// </summary>
public interface IStorageDriver
{
    /// <summary>Size of the object at <paramref name="key"/>, or null when absent.</summary>
    Task<long?> StatAsync(string key, CancellationToken cancellationToken);

    /// <summary>A stream over the object from <paramref name="offset"/>, or null when absent.</summary>
    Task<Stream?> OpenReadAsync(string key, long offset, CancellationToken cancellationToken);

    /// <summary>
    /// A writer at <paramref name="key"/>: a new object replacing whatever is there when <paramref name="resume"/> is null;
    /// otherwise the unfinished object a suspended writer left, continuing at the checkpoint's size (bytes written past it
    /// by a writer that never suspended are dropped), in this process or any other over the same backend. A checkpoint of
    /// size 0 always resumes (nothing may have been stored yet). Null when the checkpoint's bytes are gone (the object
    /// was deleted, or is shorter than the checkpoint says).
    /// </summary>
    Task<IStorageWriter?> OpenWriterAsync(string key, WriterCheckpoint? resume, CancellationToken cancellationToken);

    /// <summary>Moves an object, replacing any object at the destination (used to publish verified content).</summary>
    Task MoveAsync(string sourceKey, string destinationKey, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes an object, or every object under a key prefix, unfinished (suspended) ones included. Absent keys are not
    /// an error.
    /// </summary>
    Task DeleteAsync(string key, CancellationToken cancellationToken);

    /// <summary>Every object key under <paramref name="prefix"/>, unfinished (suspended) objects included.</summary>
    IAsyncEnumerable<string> ListAsync(string prefix, CancellationToken cancellationToken);

    /// <summary>
    /// Where the object can be served from without passing through this process: a local file (sent
    /// zero-copy) or a URL (redirect). Null when the driver offers neither.
    /// </summary>
    Task<DirectAccess?> GetDirectAccessAsync(string key, CancellationToken cancellationToken);
}

/// <summary>A way to serve an object without copying it through the registry's own buffers.</summary>
public sealed record DirectAccess(string? LocalPath, Uri? RedirectUri);

/// <summary>
/// Where a suspended writer stopped: the bytes it holds and what the driver needs to go on after them (e.g. an S3
/// multipart upload's id and parts). Kept with the upload session, so any node can resume the writer.
/// </summary>
public sealed record WriterCheckpoint(long Size, string? State)
{
    public static WriterCheckpoint Empty { get; } = new(0, null);
}

/// <summary>
/// An object being written, across as many requests (and nodes) as it takes: <see cref="SuspendAsync"/> ends one request's
/// share, <see cref="CommitAsync"/> makes the object final, once. Until then the object may be listed and deleted but
/// is read only after commit; <see cref="CancelAsync"/> removes it. Disposing without any of the three keeps what was
/// written up to the last checkpoint (the rest is dropped on resume).
/// </summary>
public interface IStorageWriter : IAsyncDisposable
{
    /// <summary>Bytes in the object so far, including what was there before an append.</summary>
    long Size { get; }

    /// <summary>Appends the bytes; a sequence so that many small network buffers become one system call.</summary>
    ValueTask WriteAsync(ReadOnlySequence<byte> data, CancellationToken cancellationToken);

    /// <summary>Keeps what was written, unfinished; a writer opened with the returned checkpoint continues after it.</summary>
    Task<WriterCheckpoint> SuspendAsync(CancellationToken cancellationToken);

    /// <summary>Makes the object final and readable at its key. No write may follow.</summary>
    Task CommitAsync(CancellationToken cancellationToken);

    Task CancelAsync(CancellationToken cancellationToken);
}
