using Berth.Client.Auth;
using Berth.Client.Http;
using Berth.Client.References;
using Berth.Client.Registry;
using Berth.Client.Transfer;
using Berth.Oci;

namespace Berth.Client.Tests.Support;

/// <summary>The client library wired as the CLI wires it, for in-process tests.</summary>
internal static class Clients
{
    public static readonly RetryPolicy FastRetry = new() { MaxAttempts = 5, BaseDelay = TimeSpan.FromMilliseconds(50) };

    public static IRegistryClientFactory Create(ICredentialProvider? credentials = null) => RegistryClients.Create(new RegistryClientOptions
    {
        Credentials = credentials ?? AnonymousCredentialProvider.Instance,
        Retry = FastRetry,
    });

    public static ImageReference Ref(string hostPort, string repository, string? tag = "v1") =>
        new(hostPort, repository, tag, null);

    public static async Task<CopyResult> PushAsync(IRegistryClientFactory registries, OciLayout layout, string tag, ImageReference target,
        bool all = true, UploadJournal? journal = null)
    {
        await using var source = Layouts.OciLayoutSource.OpenDirectory(layout.Path, tag);
        await using var destination = new RegistryDestination(registries.ForRegistry(target.Registry), target, FastRetry, journal);
        return await ImageCopy.CopyAsync(source, destination, new CopyOptions { AllPlatforms = all }, NullTransferProgress.Instance, CancellationToken.None);
    }

    public static async Task<CopyResult> PullAsync(IRegistryClientFactory registries, ImageReference from, string directory, string tag,
        CopyOptions? options = null)
    {
        await using var source = new RegistrySource(registries.ForRegistry(from.Registry), from);
        await using var destination = new Layouts.OciLayoutDestination(directory, tag, FastRetry);
        return await ImageCopy.CopyAsync(source, destination, options ?? new CopyOptions(), NullTransferProgress.Instance, CancellationToken.None);
    }

    /// <summary>Every blob of <paramref name="fixture"/> is in the layout, byte for byte, and the tag names its manifest.</summary>
    public static void AssertLayoutHolds(OciLayout layout, string tag, IManifestFixture fixture)
    {
        Assert.Equal(fixture.Manifest.Digest, layout.Resolve(tag).Digest);
        foreach (var blob in fixture.AllContent)
        {
            Assert.True(layout.HasBlob(blob.Digest), $"missing {blob}");
            Assert.Equal(blob.Bytes, layout.ReadBlob(blob.Digest));
        }
    }

    public static Digest D(Blob blob) => Digest.Parse(blob.Digest);
}
