using Berth.Client.Registry;
using Berth.Oci;

namespace Berth.Client.Transfer;

/// <summary>Where an image comes from: a registry, an OCI layout or archive, a docker-archive, a directory.</summary>
public interface IImageSource : IAsyncDisposable
{
    /// <summary>For messages: the location as the user wrote it.</summary>
    string Name { get; }

    /// <summary>The named manifest (<paramref name="digest"/> null) or one it references, verified against its digest.</summary>
    Task<ManifestBlob> GetManifestAsync(Digest? digest, CancellationToken cancellationToken);

    /// <summary>A blob's bytes from <paramref name="offset"/> on; the caller verifies the digest where it stores them.</summary>
    Task<Stream> OpenBlobAsync(Descriptor blob, long offset, CancellationToken cancellationToken);

    /// <summary>The registry repository holding this content, so a destination on the same registry can mount instead of copy.</summary>
    RepositoryLocation? Repository { get; }
}
