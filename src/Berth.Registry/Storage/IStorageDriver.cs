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

    /// <summary>A writer at <paramref name="key"/>: appending to what is there, or starting empty.</summary>
    Task<IStorageWriter> OpenWriterAsync(string key, bool append, CancellationToken cancellationToken);

    /// <summary>Moves an object, replacing any object at the destination (used to publish verified content).</summary>
    Task MoveAsync(string sourceKey, string destinationKey, CancellationToken cancellationToken);

    /// <summary>Deletes an object, or every object under a key prefix. Absent keys are not an error.</summary>
    Task DeleteAsync(string key, CancellationToken cancellationToken);

    /// <summary>Every object key under <paramref name="prefix"/>.</summary>
    IAsyncEnumerable<string> ListAsync(string prefix, CancellationToken cancellationToken);

    /// <summary>
    /// Where the object can be served from without passing through this process: a local file (sent
    /// zero-copy) or a URL (redirect). Null when the driver offers neither.
    /// </summary>
    Task<DirectAccess?> GetDirectAccessAsync(string key, CancellationToken cancellationToken);
}

/// <summary>A way to serve an object without copying it through the registry's own buffers.</summary>
public sealed record DirectAccess(string? LocalPath, Uri? RedirectUri);

/// <summary>An object being written. Nothing is final until <see cref="CommitAsync"/>; <see cref="CancelAsync"/> removes it.</summary>
public interface IStorageWriter : IAsyncDisposable
{
    /// <summary>Bytes in the object so far, including what was there before an append.</summary>
    long Size { get; }

    /// <summary>Appends the bytes; a sequence so that many small network buffers become one system call.</summary>
    ValueTask WriteAsync(ReadOnlySequence<byte> data, CancellationToken cancellationToken);

    Task CommitAsync(CancellationToken cancellationToken);

    Task CancelAsync(CancellationToken cancellationToken);
}
