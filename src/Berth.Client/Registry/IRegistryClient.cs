using Berth.Oci;

namespace Berth.Client.Registry;

/// <summary>
/// The OCI Distribution API of one registry host. Every call carries the token scopes it needs; every manifest read is
/// checked against its digest; blobs are streams (never buffered whole).
/// </summary>
public interface IRegistryClient
{
    /// <summary><c>host[:port]</c>.</summary>
    string Registry { get; }

    Uri BaseUri { get; }

    /// <summary><c>GET /v2/</c>: reachable, speaks the API, and (when credentials are known) accepts them.</summary>
    Task PingAsync(CancellationToken cancellationToken);

    /// <summary>The manifest by tag or digest, verified against the digest asked for or the one the registry announced.</summary>
    Task<ManifestBlob> GetManifestAsync(string repository, string reference, CancellationToken cancellationToken);

    /// <summary>The descriptor of a manifest (HEAD), or null when it does not exist.</summary>
    Task<Descriptor?> HeadManifestAsync(string repository, string reference, CancellationToken cancellationToken);

    /// <summary>Stores a manifest under a tag or its digest; returns the digest the registry computed.</summary>
    Task<Digest> PutManifestAsync(string repository, string reference, ManifestBlob manifest, CancellationToken cancellationToken);

    Task DeleteManifestAsync(string repository, Digest digest, CancellationToken cancellationToken);

    /// <summary>
    /// Removes one tag and leaves the manifest and its other tags (OCI distribution-spec: DELETE by tag). A registry that
    /// cannot (CNCF Distribution 2.8 answers 400 or 405) fails with <see cref="RegistryErrorKind.Unsupported"/>.
    /// </summary>
    Task DeleteTagAsync(string repository, string tag, CancellationToken cancellationToken);

    /// <summary>The size of a blob in the repository (HEAD), or null when the repository has no such blob.</summary>
    Task<long?> BlobSizeAsync(string repository, Digest digest, CancellationToken cancellationToken);

    /// <summary>The blob's bytes from <paramref name="offset"/> on (a <c>Range</c> request when offset &gt; 0).</summary>
    Task<Stream> OpenBlobAsync(string repository, Digest digest, long offset, CancellationToken cancellationToken);

    /// <summary>
    /// Tries a cross-repository mount from <paramref name="fromRepository"/>; true when mounted. A registry that cannot
    /// mount answers with an upload session instead, which is cancelled here.
    /// </summary>
    Task<bool> TryMountBlobAsync(string repository, Digest digest, string fromRepository, CancellationToken cancellationToken);

    /// <summary>
    /// Uploads a blob in a single POST (<c>?digest=</c> with the bytes). Returns null when the registry stored it, or the
    /// location of the session it opened instead (registries may ignore the body and answer 202; the caller continues there).
    /// </summary>
    Task<Uri?> PostBlobAsync(string repository, Digest digest, Stream content, long length, CancellationToken cancellationToken);

    /// <summary>Opens an upload session; returns its location.</summary>
    Task<Uri> StartUploadAsync(string repository, CancellationToken cancellationToken);

    /// <summary>How many bytes an upload session holds, or null when the session is gone.</summary>
    Task<long?> UploadOffsetAsync(string repository, Uri location, CancellationToken cancellationToken);

    /// <summary>Sends <paramref name="length"/> bytes starting at <paramref name="offset"/> (PATCH with Content-Range); returns the next location.</summary>
    Task<Uri> UploadChunkAsync(string repository, Uri location, Stream content, long offset, long length, CancellationToken cancellationToken);

    /// <summary>Finishes an upload (PUT ?digest=), optionally with a last piece of content.</summary>
    Task CompleteUploadAsync(string repository, Uri location, Digest digest, Stream? content, long length, CancellationToken cancellationToken);

    Task CancelUploadAsync(string repository, Uri location, CancellationToken cancellationToken);

    /// <summary>All tags, following <c>Link</c> pagination.</summary>
    IAsyncEnumerable<string> ListTagsAsync(string repository, int? pageSize, CancellationToken cancellationToken);

    /// <summary>All repositories the caller may see, following <c>Link</c> pagination.</summary>
    IAsyncEnumerable<string> CatalogAsync(int? pageSize, CancellationToken cancellationToken);

    /// <summary>The referrers index of a manifest (OCI 1.1), falling back to the <c>sha256-&lt;hex&gt;</c> tag schema.</summary>
    Task<ManifestBlob> ReferrersAsync(string repository, Digest subject, string? artifactType, CancellationToken cancellationToken);
}
