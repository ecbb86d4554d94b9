using System.Net;
using Berth.Conformance.Tests.Support;

namespace Berth.Conformance.Tests;

/// <summary>
/// <c>PUT /v2/&lt;name&gt;/manifests/&lt;digest&gt;?tag=…</c> (distribution-spec 1.1+): a manifest pushed by digest and
/// tagged in the same request, one <c>OCI-Tag</c> header per tag, all tags or none.
/// </summary>
public sealed class ManifestTagParameterTests(RegistryFixture registry) : IClassFixture<RegistryFixture>
{
    private RegistryApi Api => registry.Api;

    private async Task<HttpResponseMessage> PutWithTagsAsync(string repo, string digest, Manifest manifest, params string[] tags)
    {
        var query = string.Join("&", tags.Select(t => "tag=" + Uri.EscapeDataString(t)));
        return await Api.PutManifestAsync(repo, $"{digest}?{query}", manifest);
    }

    private async Task AssertTaggedAsync(string repo, string tag, Manifest manifest, string digest)
    {
        using var get = await Api.GetManifestAsync(repo, tag);
        await Check.StatusAsync(get, HttpStatusCode.OK);
        Assert.Equal(digest, Check.RequiredHeader(get, "Docker-Content-Digest"));
        Assert.Equal(manifest.Bytes, await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Several_tag_parameters_tag_the_manifest_and_each_is_echoed_in_an_OCI_Tag_header()
    {
        var repo = Repo.New("tagparam");
        var image = Build.OciImage();
        await Api.PushBlobsAsync(repo, image.Blobs);
        string[] tags = ["1.2.3", "1.2", "1", "latest"];

        using var put = await PutWithTagsAsync(repo, image.Manifest.Digest, image.Manifest, tags);

        await Check.StatusAsync(put, HttpStatusCode.Created);
        Assert.Equal(image.Manifest.Digest, Check.RequiredHeader(put, "Docker-Content-Digest"));
        Assert.Equal($"/v2/{repo}/manifests/{image.Manifest.Digest}", Check.Location(put).AbsolutePath);
        var echoed = put.Headers.GetValues("OCI-Tag").SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries)).ToList();
        Assert.Equal(tags.Order(StringComparer.Ordinal), echoed.Order(StringComparer.Ordinal));
        foreach (var tag in tags)
        {
            await AssertTaggedAsync(repo, tag, image.Manifest, image.Manifest.Digest);
        }

        Assert.Equal(tags.Order(StringComparer.Ordinal), (await Api.TagsAsync(repo)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_sha512_push_with_tags_is_verified_and_stored_under_sha512_never_sha256()
    {
        var repo = Repo.New("tagparam512");
        var image = Build.OciImage();
        await Api.PushBlobsAsync(repo, image.Blobs);
        var sha512 = Digests.Sha512(image.Manifest.Bytes);

        using var put = await PutWithTagsAsync(repo, sha512, image.Manifest, "v1", "stable");

        await Check.StatusAsync(put, HttpStatusCode.Created);
        Assert.Equal(sha512, Check.RequiredHeader(put, "Docker-Content-Digest"));
        Assert.Equal(2, put.Headers.GetValues("OCI-Tag").Count());
        await AssertTaggedAsync(repo, "v1", image.Manifest, sha512);
        await AssertTaggedAsync(repo, "stable", image.Manifest, sha512);
        using var bySha256 = await Api.HeadManifestAsync(repo, image.Manifest.Digest);
        await Check.StatusAsync(bySha256, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_sha512_digest_that_does_not_match_the_body_is_refused_and_tags_nothing()
    {
        var repo = Repo.New("tagparam512bad");
        var image = Build.OciImage();
        await Api.PushBlobsAsync(repo, image.Blobs);
        var wrong = Digests.Sha512("something else"u8);

        using var put = await PutWithTagsAsync(repo, wrong, image.Manifest, "v1");

        await Check.ErrorAsync(put, HttpStatusCode.BadRequest, "DIGEST_INVALID", "MANIFEST_INVALID");
        using var head = await Api.HeadManifestAsync(repo, "v1");
        await Check.StatusAsync(head, HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData(".hidden")]
    [InlineData("-dash")]
    [InlineData("with/slash")]
    [InlineData("")]
    public async Task One_invalid_tag_refuses_the_whole_push(string invalid)
    {
        var repo = Repo.New("tagparambad");
        var image = Build.OciImage();
        await Api.PushBlobsAsync(repo, image.Blobs);

        using var put = await PutWithTagsAsync(repo, image.Manifest.Digest, image.Manifest, "good", invalid);

        await Check.ErrorAsync(put, HttpStatusCode.BadRequest, "MANIFEST_INVALID", "TAG_INVALID");
        Assert.False(put.Headers.Contains("OCI-Tag"));
        using var tagged = await Api.HeadManifestAsync(repo, "good");
        await Check.StatusAsync(tagged, HttpStatusCode.NotFound);
        using var byDigest = await Api.HeadManifestAsync(repo, image.Manifest.Digest);
        await Check.StatusAsync(byDigest, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Tag_parameters_move_existing_tags_to_the_new_manifest()
    {
        var repo = Repo.New("tagparammove");
        var first = Build.OciImage();
        var second = Build.OciImage();
        await Api.PushImageAsync(repo, first, "latest");
        await Api.PushBlobsAsync(repo, second.Blobs);

        using var put = await PutWithTagsAsync(repo, second.Manifest.Digest, second.Manifest, "latest", "v2");

        await Check.StatusAsync(put, HttpStatusCode.Created);
        await AssertTaggedAsync(repo, "latest", second.Manifest, second.Manifest.Digest);
        await AssertTaggedAsync(repo, "v2", second.Manifest, second.Manifest.Digest);
    }
}
