using System.Net;
using Berth.Conformance.Tests.Support;

namespace Berth.Conformance.Tests;

/// <summary>Content management: deleting manifests (by digest, by tag) and blobs.</summary>
public sealed class ManagementTests(RegistryFixture registry) : IClassFixture<RegistryFixture>
{
    private RegistryApi Api => registry.Api;

    [Fact]
    public async Task DELETE_manifest_by_digest_is_202_then_it_and_its_tags_are_gone()
    {
        var repo = Repo.New("delete");
        var image = Build.OciImage();
        var keep = Build.OciImage();
        await Api.PushImageAsync(repo, image, "doomed");
        await Api.PushManifestAsync(repo, "doomed-too", image.Manifest);
        await Api.PushImageAsync(repo, keep, "keep");

        using var delete = await Api.DeleteAsync($"v2/{repo}/manifests/{image.Manifest.Digest}");
        await Check.StatusAsync(delete, HttpStatusCode.Accepted);

        using var byDigest = await Api.GetManifestAsync(repo, image.Manifest.Digest);
        await Check.ErrorAsync(byDigest, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        using var head = await Api.HeadManifestAsync(repo, image.Manifest.Digest);
        await Check.StatusAsync(head, HttpStatusCode.NotFound);
        using var byTag = await Api.GetManifestAsync(repo, "doomed");
        await Check.ErrorAsync(byTag, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        Assert.Equal(["keep"], await Api.TagsAsync(repo));
        using var kept = await Api.GetManifestAsync(repo, "keep");
        await Check.StatusAsync(kept, HttpStatusCode.OK);
    }

    [Fact]
    public async Task DELETE_manifest_by_tag_is_202_and_removes_only_the_tag()
    {
        var repo = Repo.New("delete");
        var image = Build.OciImage();
        await Api.PushImageAsync(repo, image, "gone");
        await Api.PushManifestAsync(repo, "stays", image.Manifest);

        using var delete = await Api.DeleteAsync($"v2/{repo}/manifests/gone");
        await Check.StatusAsync(delete, HttpStatusCode.Accepted);

        using var tag = await Api.HeadManifestAsync(repo, "gone");
        await Check.StatusAsync(tag, HttpStatusCode.NotFound);
        using var byDigest = await Api.GetManifestAsync(repo, image.Manifest.Digest);
        await Check.StatusAsync(byDigest, HttpStatusCode.OK);
        Assert.Equal(image.Manifest.Bytes, await byDigest.Content.ReadAsByteArrayAsync());
        using var other = await Api.GetManifestAsync(repo, "stays");
        await Check.StatusAsync(other, HttpStatusCode.OK);
        Assert.Equal(["stays"], await Api.TagsAsync(repo));
    }

    [Fact]
    public async Task DELETE_blob_is_202_then_404()
    {
        var repo = Repo.New("delete");
        var blob = Blob.Random(1234);
        var other = Blob.Random(10);
        await Api.PushBlobsAsync(repo, [blob, other]);

        using var delete = await Api.DeleteAsync($"v2/{repo}/blobs/{blob.Digest}");
        await Check.StatusAsync(delete, HttpStatusCode.Accepted);

        using var head = await Api.HeadBlobAsync(repo, blob.Digest);
        await Check.StatusAsync(head, HttpStatusCode.NotFound);
        using var get = await Api.GetBlobAsync(repo, blob.Digest);
        await Check.ErrorAsync(get, HttpStatusCode.NotFound, "BLOB_UNKNOWN");
        using var again = await Api.DeleteAsync($"v2/{repo}/blobs/{blob.Digest}");
        await Check.ErrorAsync(again, HttpStatusCode.NotFound, "BLOB_UNKNOWN");
        using var kept = await Api.HeadBlobAsync(repo, other.Digest);
        await Check.StatusAsync(kept, HttpStatusCode.OK);
    }

    [Fact]
    public async Task DELETE_unknown_manifest_is_404_MANIFEST_UNKNOWN()
    {
        var repo = Repo.New("delete");
        await Api.PushImageAsync(repo, Build.OciImage());
        using var response = await Api.DeleteAsync($"v2/{repo}/manifests/{Digests.Random()}");
        await Check.ErrorAsync(response, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
    }

    [Fact]
    public async Task DELETE_unknown_tag_is_404()
    {
        var repo = Repo.New("delete");
        await Api.PushImageAsync(repo, Build.OciImage());
        using var response = await Api.DeleteAsync($"v2/{repo}/manifests/no-such-tag");
        await Check.ErrorAsync(response, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
    }

    [Fact]
    public async Task DELETE_in_an_unknown_repository_is_404()
    {
        var repo = Repo.New("never-pushed");
        using var manifest = await Api.DeleteAsync($"v2/{repo}/manifests/{Digests.Random()}");
        await Check.ErrorAsync(manifest, HttpStatusCode.NotFound, "NAME_UNKNOWN", "MANIFEST_UNKNOWN");
        using var blob = await Api.DeleteAsync($"v2/{repo}/blobs/{Digests.Random()}");
        await Check.ErrorAsync(blob, HttpStatusCode.NotFound, "NAME_UNKNOWN", "BLOB_UNKNOWN");
    }

    [Fact]
    public async Task Deleting_a_manifest_in_one_repository_leaves_the_same_manifest_in_another()
    {
        var a = Repo.New("delete-a");
        var b = Repo.New("delete-b");
        var image = Build.OciImage();
        await Api.PushImageAsync(a, image, "v1");
        await Api.PushImageAsync(b, image, "v1");

        using var delete = await Api.DeleteAsync($"v2/{a}/manifests/{image.Manifest.Digest}");
        await Check.StatusAsync(delete, HttpStatusCode.Accepted);
        using var blobDelete = await Api.DeleteAsync($"v2/{a}/blobs/{image.Layers[0].Digest}");
        await Check.StatusAsync(blobDelete, HttpStatusCode.Accepted);

        using var manifest = await Api.GetManifestAsync(b, "v1");
        await Check.StatusAsync(manifest, HttpStatusCode.OK);
        Assert.Equal(image.Manifest.Bytes, await manifest.Content.ReadAsByteArrayAsync());
        foreach (var blob in image.Blobs)
        {
            using var get = await Api.GetBlobAsync(b, blob.Digest);
            await Check.StatusAsync(get, HttpStatusCode.OK);
            Assert.Equal(blob.Bytes, await get.Content.ReadAsByteArrayAsync());
        }
    }

    [Fact]
    public async Task Deleted_blob_can_be_pushed_again()
    {
        var repo = Repo.New("delete");
        var blob = Blob.Random(300);
        await Api.PushBlobAsync(repo, blob);
        using var delete = await Api.DeleteAsync($"v2/{repo}/blobs/{blob.Digest}");
        await Check.StatusAsync(delete, HttpStatusCode.Accepted);
        await Api.PushBlobAsync(repo, blob);
        using var get = await Api.GetBlobAsync(repo, blob.Digest);
        await Check.StatusAsync(get, HttpStatusCode.OK);
        Assert.Equal(blob.Bytes, await get.Content.ReadAsByteArrayAsync());
    }
}
