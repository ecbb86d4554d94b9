using System.Net;
using Berth.Conformance.Tests.Support;
using Xunit;

namespace Berth.Conformance.Tests;

/// <summary>end-1 and the API version header, which every /v2 response carries, errors included.</summary>
public sealed class BaseApiTests(RegistryFixture registry) : IClassFixture<RegistryFixture>
{
    private RegistryApi Api => registry.Api;

    [Fact]
    public async Task Get_v2_answers_200_with_the_api_version_header()
    {
        using var response = await Api.GetAsync("v2/");
        await Check.StatusAsync(response, HttpStatusCode.OK);
        Check.ApiVersion(response);
    }

    [Fact]
    public async Task Api_version_header_is_on_success_responses()
    {
        var repo = Repo.New("apiver");
        var image = Build.OciImage();
        await Api.PushBlobsAsync(repo, image.Blobs);

        using var post = await Api.PostUploadAsync(repo);
        Check.ApiVersion(post); // 202
        var session = Check.Location(post);
        using var status = await Api.SendAsync(HttpMethod.Get, session);
        Check.ApiVersion(status); // 204
        var blob = Blob.Random(100);
        using var put = await Api.PutUploadAsync(session, blob.Digest, blob.Bytes);
        Check.ApiVersion(put); // 201
        using var manifest = await Api.PutManifestAsync(repo, "v1", image.Manifest);
        Check.ApiVersion(manifest); // 201
        using var get = await Api.GetManifestAsync(repo, "v1");
        Check.ApiVersion(get); // 200
        using var head = await Api.HeadBlobAsync(repo, blob.Digest);
        Check.ApiVersion(head); // 200
        using var tags = await Api.GetAsync($"v2/{repo}/tags/list");
        Check.ApiVersion(tags); // 200
        using var delete = await Api.DeleteAsync($"v2/{repo}/manifests/{image.Manifest.Digest}");
        Check.ApiVersion(delete); // 202
    }

    [Fact]
    public async Task Api_version_header_is_on_404_errors()
    {
        var repo = Repo.New("apiver");
        using var manifest = await Api.GetManifestAsync(repo, "missing");
        await Check.StatusAsync(manifest, HttpStatusCode.NotFound);
        Check.ApiVersion(manifest);
        using var blob = await Api.GetBlobAsync(repo, Digests.Random());
        await Check.StatusAsync(blob, HttpStatusCode.NotFound);
        Check.ApiVersion(blob);
        using var tags = await Api.GetAsync($"v2/{repo}/tags/list");
        await Check.StatusAsync(tags, HttpStatusCode.NotFound);
        Check.ApiVersion(tags);
        using var upload = await Api.GetAsync($"v2/{repo}/blobs/uploads/{Guid.NewGuid()}");
        await Check.StatusAsync(upload, HttpStatusCode.NotFound);
        Check.ApiVersion(upload);
    }

    [Fact]
    public async Task Api_version_header_is_on_400_errors()
    {
        var repo = Repo.New("apiver");
        using var badManifest = await Api.PutManifestAsync(repo, "v1", "not json"u8.ToArray(), MediaTypes.OciManifest);
        await Check.StatusAsync(badManifest, HttpStatusCode.BadRequest);
        Check.ApiVersion(badManifest);

        var session = await Api.StartUploadAsync(repo);
        using var badDigest = await Api.PutUploadAsync(session, Digests.Random(), [1, 2, 3]);
        await Check.StatusAsync(badDigest, HttpStatusCode.BadRequest);
        Check.ApiVersion(badDigest);
    }

    [Fact]
    public async Task Api_version_header_is_on_416_errors()
    {
        var repo = Repo.New("apiver");
        var session2 = await Api.StartUploadAsync(repo);
        using var outOfOrder = await Api.PatchAsync(session2, [1, 2, 3], "10-12");
        await Check.StatusAsync(outOfOrder, HttpStatusCode.RequestedRangeNotSatisfiable);
        Check.ApiVersion(outOfOrder);
    }

    [Fact]
    public async Task Api_version_header_is_on_invalid_name_errors()
    {
        using var response = await Api.PostUploadAsync("Not_A_Valid_Name");
        Assert.True((int)response.StatusCode is >= 400 and < 500, $"expected 4xx, got {(int)response.StatusCode}");
        Check.ApiVersion(response);
    }
}
