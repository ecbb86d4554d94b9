using Berth.Client.References;
using Berth.Client.Registry;
using Berth.Oci;

namespace Berth.Client.Transfer;

/// <summary>An image in a registry.</summary>
public sealed class RegistrySource(IRegistryClient client, ImageReference reference) : IImageSource
{
    public string Name => reference.ToString();

    public RepositoryLocation? Repository { get; } = new(reference.Registry, reference.Repository);

    public Task<ManifestBlob> GetManifestAsync(Digest? digest, CancellationToken cancellationToken) =>
        client.GetManifestAsync(reference.Repository, digest?.ToString() ?? reference.Reference, cancellationToken);

    public Task<Stream> OpenBlobAsync(Descriptor blob, long offset, CancellationToken cancellationToken) =>
        client.OpenBlobAsync(reference.Repository, blob.Digest, offset, cancellationToken);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
