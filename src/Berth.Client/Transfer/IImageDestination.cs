using Berth.Client.Registry;
using Berth.Oci;

namespace Berth.Client.Transfer;

/// <summary>Where an image goes.</summary>
public interface IImageDestination : IAsyncDisposable
{
    string Name { get; }

    /// <summary>False for formats that hold one image (docker-archive): the copier then picks a platform.</summary>
    bool AcceptsIndexes { get; }

    /// <summary>Makes the blob present without copying bytes (already there, or mounted); null when it must be copied.</summary>
    Task<BlobOutcome?> TryReuseBlobAsync(Descriptor blob, IImageSource source, CancellationToken cancellationToken);

    /// <summary>Copies the blob, resuming and retrying as the destination allows; fails if the bytes do not match the digest.</summary>
    Task PutBlobAsync(Descriptor blob, IImageSource source, ITransferProgress progress, CancellationToken cancellationToken);

    /// <summary>Stores a manifest once everything it references is present; the top one gets the destination's tag.</summary>
    Task PutManifestAsync(ManifestBlob manifest, bool isTop, CancellationToken cancellationToken);

    /// <summary>Makes the image visible (index.json, the archive file). Nothing is visible before.</summary>
    Task CommitAsync(CancellationToken cancellationToken);

    /// <summary>The tag the top manifest is stored under, if any.</summary>
    string? Tag { get; }
}
