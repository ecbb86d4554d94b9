using Berth.Client.Http;
using Berth.Client.Layouts;
using Berth.Client.References;
using Berth.Client.Registry;

namespace Berth.Client.Transfer;

/// <summary>Opens the source or destination a location names.</summary>
public static class ImageEndpoints
{
    public static IImageSource OpenSource(ImageLocation location, IRegistryClientFactory registries) => location.Kind switch
    {
        LocationKind.Registry => new RegistrySource(registries.ForRegistry(location.Registry!.Registry), location.Registry),
        LocationKind.OciLayout => OciLayoutSource.OpenDirectory(location.Path!, location.Tag),
        LocationKind.OciArchive => OciLayoutSource.OpenArchive(location.Path!, location.Tag),
        LocationKind.DockerArchive => DockerArchiveSource.Open(location.Path!, location.Tag),
        _ => throw new ArgumentOutOfRangeException(nameof(location)),
    };

    /// <param name="repoTag">For a docker-archive without a name: the name <c>docker load</c> gives the image.</param>
    public static IImageDestination OpenDestination(
        ImageLocation location, IRegistryClientFactory registries, RetryPolicy retry, UploadJournal? journal, string? repoTag = null) => location.Kind switch
        {
            LocationKind.Registry => new RegistryDestination(registries.ForRegistry(location.Registry!.Registry), location.Registry, retry, journal),
            LocationKind.OciLayout => new OciLayoutDestination(location.Path!, location.Tag, retry),
            LocationKind.DockerArchive => new DockerArchiveDestination(location.Path!, location.Tag ?? repoTag, retry),
            LocationKind.OciArchive => throw new NotSupportedException("writing oci-archive is not supported; pull to oci:DIR and tar it, or use docker-archive:"),
            _ => throw new ArgumentOutOfRangeException(nameof(location)),
        };
}
