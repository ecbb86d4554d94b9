using Berth.Oci;

namespace Berth.Registry.Manifests;

/// <summary>A stored manifest: exactly the bytes that were pushed, with their digest and media type.</summary>
public sealed record ManifestContent(Digest Digest, string MediaType, ReadOnlyMemory<byte> Content);

/// <summary>What a delete removed: the manifest's digest, and the tag when a tag was deleted.</summary>
public sealed record ManifestDeleted(Digest Digest, string? Tag, string MediaType);

/// <summary>What a successful manifest push tells the client.</summary>
public sealed record ManifestPushed(Digest Digest, Digest? Subject, string MediaType, long Size, long ImageSize);

/// <summary>A page of a sorted listing; <see cref="HasMore"/> says whether a <c>Link</c> to the next page is due.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, bool HasMore);

/// <summary>Manifests, tags and referrers of repositories.</summary>
public interface IManifestStore
{
    Task<Result<ManifestContent>> GetAsync(string repository, Reference reference, CancellationToken cancellationToken);

    /// <summary>
    /// Validates and stores a manifest; every blob and child manifest it names must already be in the repository.
    /// <paramref name="tags"/> (the <c>?tag=</c> parameters of a push by digest) point at it too, all or none:
    /// one invalid tag refuses the push before anything is stored.
    /// </summary>
    Task<Result<ManifestPushed>> PutAsync(string repository, Reference reference, IReadOnlyList<string> tags, string? contentType, ReadOnlyMemory<byte> content, CancellationToken cancellationToken);

    /// <summary>By digest: the manifest and every tag pointing at it. By tag: only the tag.</summary>
    Task<Result<ManifestDeleted>> DeleteAsync(string repository, Reference reference, CancellationToken cancellationToken);

    /// <summary>Tags in lexical order after <paramref name="last"/>; <paramref name="limit"/> null means all.</summary>
    Task<Result<Page<string>>> ListTagsAsync(string repository, int? limit, string? last, CancellationToken cancellationToken);

    /// <summary>Descriptors of the manifests in the repository whose <c>subject</c> is <paramref name="subject"/>.</summary>
    Task<IReadOnlyList<Descriptor>> ListReferrersAsync(string repository, Digest subject, string? artifactType, CancellationToken cancellationToken);
}
