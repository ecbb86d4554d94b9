using System.IO.Pipelines;
using Berth.Oci;
using Berth.Registry.Blobs;

namespace Berth.Registry.Uploads;

/// <summary>An upload session as the client sees it: its id and how many bytes have been received.</summary>
public sealed record UploadStatus(string Id, string Repository, long Offset);

/// <summary>A chunk's declared position, from <c>Content-Range</c> and <c>Content-Length</c>.</summary>
public readonly record struct ChunkRange(long? Start, long? Length);

/// <summary>
/// Blob uploads: bytes are hashed while they are written to the storage driver's upload area, verified
/// against the digest the client names, and only then moved to their content address and linked into the
/// repository. A session lives in the database, so it survives restarts and can be continued on any node.
/// </summary>
public interface IUploadService
{
    Task<UploadStatus> StartAsync(string repository, CancellationToken cancellationToken);

    Task<Result<UploadStatus>> GetStatusAsync(string repository, string uploadId, CancellationToken cancellationToken);

    Task<Result<UploadStatus>> AppendAsync(string repository, string uploadId, ChunkRange range, PipeReader body, CancellationToken cancellationToken);

    /// <summary>Appends the final chunk (if any), verifies <paramref name="digest"/> and publishes the blob.</summary>
    Task<Result<BlobInfo>> CompleteAsync(string repository, string uploadId, Digest digest, ChunkRange range, PipeReader? body, CancellationToken cancellationToken);

    /// <summary>A whole blob in one request (POST with <c>?digest=</c>).</summary>
    Task<Result<BlobInfo>> UploadMonolithicAsync(string repository, Digest digest, long? length, PipeReader body, CancellationToken cancellationToken);

    Task<Result<UploadStatus>> CancelAsync(string repository, string uploadId, CancellationToken cancellationToken);

    /// <summary>Removes sessions untouched since <paramref name="idleSince"/> (clients that vanished) and their bytes.</summary>
    Task<int> PurgeAbandonedAsync(DateTime idleSince, CancellationToken cancellationToken);

    /// <summary>
    /// Ids of uploads whose bytes are in storage but whose session row is gone (a request that wrote after its upload
    /// ended, or a crash between the two deletions). A session's row is written before any of its bytes, so this is
    /// never an upload just starting; the caller still waits an idle period before <see cref="DeleteOrphanedDataAsync"/>.
    /// </summary>
    Task<IReadOnlyList<string>> FindOrphanedDataAsync(CancellationToken cancellationToken);

    /// <summary>Deletes an upload's bytes if it still has no session row and no request holds it; true when deleted.</summary>
    Task<bool> DeleteOrphanedDataAsync(string uploadId, CancellationToken cancellationToken);
}
