using Berth.Oci;
using Berth.Registry.Storage;

namespace Berth.Registry.Blobs;

/// <summary>A blob as a repository sees it.</summary>
public sealed record BlobInfo(Digest Digest, long Size);

/// <summary>Blobs through the eyes of one repository: a blob exists there only if the repository links it.</summary>
public interface IBlobStore
{
    Task<Result<BlobInfo>> StatAsync(string repository, Digest digest, CancellationToken cancellationToken);

    /// <summary>Where the blob's bytes can be served from without copying, when the driver offers it.</summary>
    Task<DirectAccess?> GetDirectAccessAsync(Digest digest, CancellationToken cancellationToken);

    Task<Stream?> OpenReadAsync(Digest digest, long offset, CancellationToken cancellationToken);

    /// <summary>Removes the blob from the repository; the bytes stay until garbage collection finds them unreferenced.</summary>
    Task<Result<BlobInfo>> UnlinkAsync(string repository, Digest digest, CancellationToken cancellationToken);

    /// <summary>
    /// Links a blob that <paramref name="fromRepository"/> holds into <paramref name="repository"/>; null when the source
    /// lacks it, <c>DENIED</c> when the blob would take the namespace over its quota.
    /// </summary>
    Task<Result<BlobInfo>?> MountAsync(string repository, string fromRepository, Digest digest, CancellationToken cancellationToken);
}
