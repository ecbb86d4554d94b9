using Berth.Client.Registry;
using Berth.Client.Tests.Support;
using Berth.Client.Transfer;
using Berth.Oci;

namespace Berth.Client.Tests;

/// <summary>The client library against Berth and against CNCF Distribution 2.8.2: every byte comes back, nothing is sent twice.</summary>
public sealed class LibraryRoundTripTests(Registries registries) : IClassFixture<Registries>, IDisposable
{
    private readonly Sandbox _sandbox = new();
    private readonly ImageFactory _factory = new();

    [Theory]
    [InlineData(RegistryKind.Berth, ManifestFormat.Oci)]
    [InlineData(RegistryKind.Berth, ManifestFormat.Docker)]
    [InlineData(RegistryKind.Distribution, ManifestFormat.Oci)]
    [InlineData(RegistryKind.Distribution, ManifestFormat.Docker)]
    public async Task Image_pushes_and_pulls_back_byte_for_byte_and_a_second_push_sends_nothing(RegistryKind kind, ManifestFormat format)
    {
        var server = await registries.GetAsync(kind);
        var image = _factory.CreateImage(layers: 4, format: format);
        var target = Clients.Ref(server.HostPort, Names.Repo("rt"));
        using var client = Clients.Create();

        var pushed = await Clients.PushAsync(client, _sandbox.NewLayout((image, "v1")), "v1", target);
        Assert.Equal(image.Manifest.Digest, pushed.Manifest.Digest.ToString());
        Assert.Equal(5, pushed.BlobsTransferred);
        Assert.Equal(image.Layers.Sum(l => l.Size) + image.Config.Size, pushed.BytesTransferred);

        var again = await Clients.PushAsync(client, _sandbox.NewLayout((image, "v1")), "v1", target);
        Assert.Equal((0, 5), (again.BlobsTransferred, again.BlobsSkipped));

        var pulled = OciLayout.Create(_sandbox.NewPath("pulled"));
        var result = await Clients.PullAsync(client, target, pulled.Path, "v1");
        Assert.Equal(image.Manifest.Digest, result.Manifest.Digest.ToString());
        Clients.AssertLayoutHolds(pulled, "v1", image);
    }

    [Theory]
    [InlineData(RegistryKind.Berth)]
    [InlineData(RegistryKind.Distribution)]
    public async Task Index_goes_whole_with_all_platforms_and_one_platform_is_picked_otherwise(RegistryKind kind)
    {
        var server = await registries.GetAsync(kind);
        var index = _factory.CreateIndex();
        var target = Clients.Ref(server.HostPort, Names.Repo("index"), "multi");
        using var client = Clients.Create();

        await Clients.PushAsync(client, _sandbox.NewLayout((index, "multi")), "multi", target);
        var all = OciLayout.Create(_sandbox.NewPath("all"));
        await Clients.PullAsync(client, target, all.Path, "multi", new CopyOptions { AllPlatforms = true });
        Clients.AssertLayoutHolds(all, "multi", index);

        var arm = OciLayout.Create(_sandbox.NewPath("arm"));
        var armImage = index.Images.Single(i => i.Platform.Architecture == "arm64");
        await Clients.PullAsync(client, target, arm.Path, "arm", new CopyOptions { Platform = PlatformSpec.Parse("linux/arm64") });
        Clients.AssertLayoutHolds(arm, "arm", armImage);
        Assert.DoesNotContain(index.Images.Single(i => i.Platform.Architecture == "s390x").Layers[0].Digest, arm.BlobDigests());

        var missing = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            Clients.PullAsync(client, target, _sandbox.NewPath("none"), "x", new CopyOptions { Platform = PlatformSpec.Parse("windows/amd64") }));
        Assert.Contains("linux/s390x", missing.Message);
    }

    [Theory]
    [InlineData(RegistryKind.Berth)]
    [InlineData(RegistryKind.Distribution)]
    public async Task Copy_within_a_registry_mounts_every_blob(RegistryKind kind)
    {
        var server = await registries.GetAsync(kind);
        var image = _factory.CreateImage(layers: 3);
        var source = Clients.Ref(server.HostPort, Names.Repo("from"));
        var target = Clients.Ref(server.HostPort, Names.Repo("to"), "copied");
        using var client = Clients.Create();
        await Clients.PushAsync(client, _sandbox.NewLayout((image, "v1")), "v1", source);

        await using var from = new RegistrySource(client.ForRegistry(server.HostPort), source);
        await using var to = new RegistryDestination(client.ForRegistry(server.HostPort), target, Clients.FastRetry);
        var copied = await ImageCopy.CopyAsync(from, to, new CopyOptions(), NullTransferProgress.Instance, CancellationToken.None);

        Assert.Equal((0, 4, 0L), (copied.BlobsTransferred, copied.BlobsMounted, copied.BytesTransferred));
        var manifest = await client.ForRegistry(server.HostPort).GetManifestAsync(target.Repository, "copied", CancellationToken.None);
        Assert.Equal(image.Manifest.Bytes, manifest.Bytes);
        Assert.Equal(image.Layers[2].Size, await client.ForRegistry(server.HostPort).BlobSizeAsync(target.Repository, Clients.D(image.Layers[2]), CancellationToken.None));
    }

    [Theory]
    [InlineData(RegistryKind.Berth)]
    [InlineData(RegistryKind.Distribution)]
    public async Task Tags_and_catalog_follow_pagination(RegistryKind kind)
    {
        var server = await registries.GetAsync(kind);
        var image = _factory.CreateImage(layers: 1);
        var repo = Names.Repo("pages");
        using var client = Clients.Create();
        var layout = _sandbox.NewLayout((image, "v1"));
        string[] tags = ["a1", "b2", "c3", "d4", "e5"];
        foreach (var tag in tags)
        {
            await Clients.PushAsync(client, layout, "v1", Clients.Ref(server.HostPort, repo, tag));
        }

        var registry = client.ForRegistry(server.HostPort);
        var listed = new List<string>();
        await foreach (var tag in registry.ListTagsAsync(repo, 2, CancellationToken.None))
        {
            listed.Add(tag);
        }

        // The spec asks for lexical order; Distribution 2.8.2 pages in storage order. Every tag, once, either way.
        Assert.Equal(tags, kind == RegistryKind.Berth ? listed : listed.Order(StringComparer.Ordinal).ToList());
        var repositories = new List<string>();
        await foreach (var name in registry.CatalogAsync(1, CancellationToken.None))
        {
            repositories.Add(name);
        }

        Assert.Contains(repo, repositories);
        Assert.Equal(repositories.Distinct().Count(), repositories.Count);
    }

    [Fact]
    public async Task A_manifest_that_does_not_match_its_digest_is_refused()
    {
        var server = await registries.GetAsync(RegistryKind.Berth);
        var image = _factory.CreateImage(layers: 1);
        var other = _factory.CreateImage(layers: 1);
        var repo = Names.Repo("digest");
        using var client = Clients.Create();
        await Clients.PushAsync(client, _sandbox.NewLayout((image, "v1")), "v1", Clients.Ref(server.HostPort, repo));

        // A layout whose index names one digest while the file holds other bytes.
        var layout = _sandbox.NewLayout((image, "v1"));
        File.WriteAllBytes(layout.BlobPath(image.Manifest.Digest), other.Manifest.Bytes);
        var error = await Assert.ThrowsAsync<RegistryException>(() => Clients.PushAsync(client, layout, "v1", Clients.Ref(server.HostPort, repo, "v2")));
        Assert.Equal(RegistryErrorKind.DigestMismatch, error.Kind);

        var missing = await Assert.ThrowsAsync<RegistryException>(() =>
            client.ForRegistry(server.HostPort).GetManifestAsync(repo, "nope", CancellationToken.None));
        Assert.Equal(RegistryErrorKind.NotFound, missing.Kind);
        Assert.Contains("MANIFEST_UNKNOWN", missing.Message);
    }

    [Fact]
    public async Task A_corrupt_local_blob_is_rejected_by_digest_and_nothing_is_tagged()
    {
        var server = await registries.GetAsync(RegistryKind.Berth);
        var image = _factory.CreateImage(layers: 1);
        var layout = _sandbox.NewLayout((image, "v1"));
        var corrupt = (byte[])image.Layers[0].Bytes.Clone();
        corrupt[^1] ^= 0xff;
        File.WriteAllBytes(layout.BlobPath(image.Layers[0].Digest), corrupt);
        var target = Clients.Ref(server.HostPort, Names.Repo("corrupt"));
        using var client = Clients.Create();

        var error = await Assert.ThrowsAsync<RegistryException>(() => Clients.PushAsync(client, layout, "v1", target));
        Assert.Equal(RegistryErrorKind.DigestMismatch, error.Kind);
        Assert.Null(await client.ForRegistry(server.HostPort).HeadManifestAsync(target.Repository, "v1", CancellationToken.None));
    }

    [Fact]
    public async Task Referrers_are_listed_and_filtered()
    {
        var server = await registries.GetAsync(RegistryKind.Berth);
        var image = _factory.CreateImage(layers: 1);
        var sbom = _factory.CreateArtifact(image);
        var repo = Names.Repo("refs");
        using var client = Clients.Create();
        var layout = _sandbox.NewLayout((image, "v1"), (sbom, "sbom"));
        await Clients.PushAsync(client, layout, "v1", Clients.Ref(server.HostPort, repo));
        await Clients.PushAsync(client, layout, "sbom", Clients.Ref(server.HostPort, repo, "sbom"));

        var registry = client.ForRegistry(server.HostPort);
        var referrers = (await registry.ReferrersAsync(repo, Clients.D(image.Manifest), null, CancellationToken.None)).Parse();
        Assert.Equal(sbom.Manifest.Digest, Assert.Single(referrers.Manifests).Digest.ToString());
        var none = (await registry.ReferrersAsync(repo, Clients.D(image.Manifest), "application/x-other", CancellationToken.None)).Parse();
        Assert.Empty(none.Manifests);
    }

    public void Dispose() => _sandbox.Dispose();
}
