using System.Net;
using Berth.Conformance.Tests.Support;

namespace Berth.Conformance.Tests;

/// <summary>Pull workflow: manifests and blobs by tag and digest, GET and HEAD, ranges, and the 404s.</summary>
public sealed class PullTests(RegistryFixture registry) : IClassFixture<RegistryFixture>
{
    private RegistryApi Api => registry.Api;

    private async Task<(string Repo, Image Image)> PushedImageAsync(string tag = "v1")
    {
        var repo = Repo.New("pull");
        var image = Build.OciImage(layers: 2);
        await Api.PushImageAsync(repo, image, tag);
        return (repo, image);
    }

    private static async Task AssertManifestResponseAsync(HttpResponseMessage response, Manifest manifest, bool head)
    {
        await Check.StatusAsync(response, HttpStatusCode.OK);
        Assert.Equal(manifest.MediaType, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(manifest.Digest, Check.RequiredHeader(response, "Docker-Content-Digest"));
        Assert.Equal(manifest.Size, response.Content.Headers.ContentLength);
        var body = await response.Content.ReadAsByteArrayAsync();
        if (head)
        {
            Assert.Empty(body);
        }
        else
        {
            Assert.Equal(manifest.Bytes, body);
        }
    }

    [Fact]
    public async Task Manifest_GET_by_tag_returns_the_exact_bytes_with_type_digest_and_length()
    {
        var (repo, image) = await PushedImageAsync();
        using var response = await Api.GetManifestAsync(repo, "v1");
        await AssertManifestResponseAsync(response, image.Manifest, head: false);
    }

    [Fact]
    public async Task Manifest_GET_by_digest_returns_the_exact_bytes_with_type_digest_and_length()
    {
        var (repo, image) = await PushedImageAsync();
        using var response = await Api.GetManifestAsync(repo, image.Manifest.Digest);
        await AssertManifestResponseAsync(response, image.Manifest, head: false);
    }

    [Fact]
    public async Task Manifest_HEAD_by_tag_returns_headers_and_no_body()
    {
        var (repo, image) = await PushedImageAsync();
        using var response = await Api.HeadManifestAsync(repo, "v1");
        await AssertManifestResponseAsync(response, image.Manifest, head: true);
    }

    [Fact]
    public async Task Manifest_HEAD_by_digest_returns_headers_and_no_body()
    {
        var (repo, image) = await PushedImageAsync();
        using var response = await Api.HeadManifestAsync(repo, image.Manifest.Digest);
        await AssertManifestResponseAsync(response, image.Manifest, head: true);
    }

    [Fact]
    public async Task Docker_schema2_manifest_is_served_with_its_own_media_type()
    {
        var repo = Repo.New("pull");
        var image = Build.DockerImage();
        await Api.PushImageAsync(repo, image, "docker");
        using var byTag = await Api.GetManifestAsync(repo, "docker");
        await AssertManifestResponseAsync(byTag, image.Manifest, head: false);
        using var byDigest = await Api.HeadManifestAsync(repo, image.Manifest.Digest);
        await AssertManifestResponseAsync(byDigest, image.Manifest, head: true);
    }

    [Fact]
    public async Task Blob_GET_returns_the_bytes_with_digest_and_length()
    {
        var (repo, image) = await PushedImageAsync();
        foreach (var blob in image.Blobs)
        {
            using var response = await Api.GetBlobAsync(repo, blob.Digest);
            await Check.StatusAsync(response, HttpStatusCode.OK);
            Assert.Equal(blob.Digest, Check.RequiredHeader(response, "Docker-Content-Digest"));
            Assert.Equal(blob.Size, response.Content.Headers.ContentLength);
            Assert.Equal(blob.Bytes, await response.Content.ReadAsByteArrayAsync());
        }
    }

    [Fact]
    public async Task Blob_HEAD_returns_digest_and_length_and_no_body()
    {
        var (repo, image) = await PushedImageAsync();
        var layer = image.Layers[0];
        using var response = await Api.HeadBlobAsync(repo, layer.Digest);
        await Check.StatusAsync(response, HttpStatusCode.OK);
        Assert.Equal(layer.Digest, Check.RequiredHeader(response, "Docker-Content-Digest"));
        Assert.Equal(layer.Size, response.Content.Headers.ContentLength);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("bytes=500-1499", 500, 1499)]
    [InlineData("bytes=500-", 500, 2047)]
    [InlineData("bytes=-500", 1548, 2047)]
    [InlineData("bytes=2000-5000", 2000, 2047)]
    [InlineData("bytes=0-0", 0, 0)]
    public async Task Blob_range_request_returns_206_with_content_range(string range, int first, int last)
    {
        var repo = Repo.New("range");
        var blob = Blob.Random(2048);
        await Api.PushBlobAsync(repo, blob);
        using var response = await Api.SendAsync(HttpMethod.Get, $"v2/{repo}/blobs/{blob.Digest}", configure: r => r.Headers.TryAddWithoutValidation("Range", range));
        await Check.StatusAsync(response, HttpStatusCode.PartialContent);
        var contentRange = Check.RequiredHeader(response, "Content-Range");
        Assert.True(
            contentRange == $"bytes {first}-{last}/2048" || contentRange == $"bytes {first}-{last}/*",
            $"Content-Range was '{contentRange}'");
        Assert.Equal(last - first + 1, response.Content.Headers.ContentLength);
        Assert.Equal(blob.Bytes[first..(last + 1)], await response.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("bytes=5000-10000")]
    [InlineData("bytes=2048-")]
    public async Task Blob_range_beyond_the_end_returns_416(string range)
    {
        var repo = Repo.New("range");
        var blob = Blob.Random(2048);
        await Api.PushBlobAsync(repo, blob);
        using var response = await RangeHeadersAsync(repo, blob.Digest, range);
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, response.StatusCode);
    }

    /// <summary>Only the status line and headers: the body of a 416 is not asserted.</summary>
    private async Task<HttpResponseMessage> RangeHeadersAsync(string repo, string digest, string range)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Api.ToUri($"v2/{repo}/blobs/{digest}"));
        request.Headers.TryAddWithoutValidation("Range", range);
        return await Api.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    [Fact]
    public async Task Blob_range_with_end_before_start_returns_416()
    {
        // The official conformance suite expects 416 for "bytes=500-0" (RFC 9110 would also allow ignoring it).
        var repo = Repo.New("range");
        var blob = Blob.Random(2048);
        await Api.PushBlobAsync(repo, blob);
        using var response = await RangeHeadersAsync(repo, blob.Digest, "bytes=500-0");
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, response.StatusCode);
    }

    [Fact]
    public async Task Unknown_blob_is_404_BLOB_UNKNOWN()
    {
        var (repo, _) = await PushedImageAsync();
        var digest = Digests.Random();
        using var get = await Api.GetBlobAsync(repo, digest);
        await Check.ErrorAsync(get, HttpStatusCode.NotFound, "BLOB_UNKNOWN");
        using var head = await Api.HeadBlobAsync(repo, digest);
        await Check.StatusAsync(head, HttpStatusCode.NotFound);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Unknown_manifest_is_404_MANIFEST_UNKNOWN_by_tag_and_by_digest()
    {
        var (repo, _) = await PushedImageAsync();
        using var byTag = await Api.GetManifestAsync(repo, "no-such-tag");
        await Check.ErrorAsync(byTag, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        using var byDigest = await Api.GetManifestAsync(repo, Digests.Random());
        await Check.ErrorAsync(byDigest, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        using var head = await Api.HeadManifestAsync(repo, "no-such-tag");
        await Check.StatusAsync(head, HttpStatusCode.NotFound);
        using var headDigest = await Api.HeadManifestAsync(repo, Digests.Random());
        await Check.StatusAsync(headDigest, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Unknown_repository_is_404_NAME_UNKNOWN_or_the_object_unknown()
    {
        var repo = Repo.New("never-pushed");
        using var manifest = await Api.GetManifestAsync(repo, "latest");
        await Check.ErrorAsync(manifest, HttpStatusCode.NotFound, "NAME_UNKNOWN", "MANIFEST_UNKNOWN");
        using var blob = await Api.GetBlobAsync(repo, Digests.Random());
        await Check.ErrorAsync(blob, HttpStatusCode.NotFound, "NAME_UNKNOWN", "BLOB_UNKNOWN");
        using var head = await Api.HeadManifestAsync(repo, "latest");
        await Check.StatusAsync(head, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Invalid_tag_reference_on_GET_is_404_or_400()
    {
        // The official suite pulls ".INVALID_MANIFEST_NAME" and expects 404.
        var (repo, _) = await PushedImageAsync();
        using var response = await Api.GetManifestAsync(repo, ".INVALID_MANIFEST_NAME");
        await Check.StatusAsync(response, HttpStatusCode.NotFound, HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("empty")]
    [InlineData("emptyJSON")]
    public async Task Well_known_small_blobs_round_trip(string kind)
    {
        var repo = Repo.New("small");
        var blob = kind == "empty" ? Blob.From([]) : Blob.EmptyJson();
        await Api.PushBlobAsync(repo, blob);
        using var head = await Api.HeadBlobAsync(repo, blob.Digest);
        await Check.StatusAsync(head, HttpStatusCode.OK);
        Assert.Equal(blob.Size, head.Content.Headers.ContentLength);
        using var get = await Api.GetBlobAsync(repo, blob.Digest);
        await Check.StatusAsync(get, HttpStatusCode.OK);
        Assert.Equal(blob.Bytes, await get.Content.ReadAsByteArrayAsync());
    }
}
