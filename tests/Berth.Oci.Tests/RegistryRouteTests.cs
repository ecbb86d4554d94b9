namespace Berth.Oci.Tests;

public class RegistryRouteTests
{
    private const string D = "sha256:" + DigestTests.EmptySha256;
    private const string D512 = "sha512:" + DigestTests.EmptySha512;

    private static RegistryRoute Ok(string path)
    {
        var result = RegistryRoute.Parse(path);
        Assert.True(result.IsSuccess, $"'{path}' should route, got {result.Error}");
        return result.Value;
    }

    private static OciError Fails(string path)
    {
        var result = RegistryRoute.Parse(path);
        Assert.False(result.IsSuccess, $"'{path}' should not route, got {result.Value}");
        return result.Error;
    }

    [Fact]
    public void Empty_path_is_the_base_endpoint() => Assert.Equal(new RegistryRoute(RouteKind.Base), Ok(""));

    [Fact]
    public void Catalog_is_routed() => Assert.Equal(new RegistryRoute(RouteKind.Catalog), Ok("_catalog"));

    [Theory]
    [InlineData("a/tags/list", "a")]
    [InlineData("library/ubuntu/tags/list", "library/ubuntu")]
    [InlineData("tags/tags/list", "tags")]
    [InlineData("a/tags/list/tags/list", "a/tags/list")]
    [InlineData("a/manifests/tags/list", "a/manifests")]
    [InlineData("x/blobs/uploads/tags/list", "x/blobs/uploads")]
    public void Tag_lists_are_routed(string path, string name) =>
        Assert.Equal(new RegistryRoute(RouteKind.Tags, name), Ok(path));

    [Theory]
    [InlineData("a/manifests/latest", "a", "latest")]
    [InlineData("a/b/c/manifests/v1.0", "a/b/c", "v1.0")]
    [InlineData("a/manifests/" + D, "a", D)]
    [InlineData("a/manifests/" + D512, "a", D512)]
    [InlineData("a/manifests/manifests/latest", "a/manifests", "latest")]
    [InlineData("manifests/manifests/manifests", "manifests", "manifests")]
    [InlineData("blobs/manifests/blobs", "blobs", "blobs")]
    [InlineData("a/blobs/uploads/manifests/uploads", "a/blobs/uploads", "uploads")]
    [InlineData("tags/list/manifests/list", "tags/list", "list")]
    [InlineData("a/manifests/referrers", "a", "referrers")]
    public void Manifests_are_routed(string path, string name, string reference) =>
        Assert.Equal(new RegistryRoute(RouteKind.Manifest, name, reference), Ok(path));

    [Theory]
    [InlineData("a/blobs/" + D, "a")]
    [InlineData("a/b/blobs/" + D512, "a/b")]
    [InlineData("blobs/blobs/" + D, "blobs")]
    [InlineData("blobs/uploads/blobs/" + D, "blobs/uploads")]
    [InlineData("a/manifests/blobs/" + D, "a/manifests")]
    [InlineData("uploads/blobs/" + D, "uploads")]
    public void Blobs_are_routed(string path, string name) =>
        Assert.Equal(new RegistryRoute(RouteKind.Blob, name, path[(path.LastIndexOf('/') + 1)..]), Ok(path));

    [Theory]
    [InlineData("a/blobs/uploads/", "a")]
    [InlineData("a/blobs/uploads", "a")]
    [InlineData("a/b/blobs/uploads/", "a/b")]
    [InlineData("uploads/blobs/uploads/", "uploads")]
    [InlineData("blobs/blobs/uploads", "blobs")]
    [InlineData("x/blobs/uploads/blobs/uploads", "x/blobs/uploads")]
    [InlineData("x/blobs/uploads/blobs/uploads/", "x/blobs/uploads")]
    public void Upload_starts_are_routed_with_or_without_a_trailing_slash(string path, string name) =>
        Assert.Equal(new RegistryRoute(RouteKind.UploadStart, name), Ok(path));

    [Theory]
    [InlineData("a/blobs/uploads/abc-123", "a", "abc-123")]
    [InlineData("x/blobs/uploads/blobs/uploads/id1", "x/blobs/uploads", "id1")]
    [InlineData("a/blobs/blobs/uploads/id1", "a/blobs", "id1")]
    [InlineData("a/blobs/uploads/uploads", "a", "uploads")]
    [InlineData("a/blobs/uploads/blobs", "a", "blobs")]
    [InlineData("manifests/blobs/uploads/" + "0123456789abcdef", "manifests", "0123456789abcdef")]
    public void Upload_sessions_are_routed(string path, string name, string id) =>
        Assert.Equal(new RegistryRoute(RouteKind.Upload, name, id), Ok(path));

    [Theory]
    [InlineData("a/referrers/" + D, "a")]
    [InlineData("referrers/referrers/" + D, "referrers")]
    [InlineData("a/b/referrers/" + D512, "a/b")]
    public void Referrers_are_routed(string path, string name) =>
        Assert.Equal(new RegistryRoute(RouteKind.Referrers, name, path[(path.LastIndexOf('/') + 1)..]), Ok(path));

    [Theory]
    [InlineData("../x/manifests/latest")]
    [InlineData("a/../b/manifests/latest")]
    [InlineData("a/%2e%2e/b/manifests/latest")]
    [InlineData("%2e%2e/manifests/latest")]
    [InlineData("./a/blobs/" + D)]
    [InlineData("a/../../blobs/" + D)]
    [InlineData("../blobs/uploads/")]
    [InlineData("a/../blobs/uploads/id")]
    [InlineData("../tags/list")]
    [InlineData("../referrers/" + D)]
    [InlineData("/a/manifests/latest")]
    [InlineData("a//b/manifests/latest")]
    [InlineData("A/manifests/latest")]
    [InlineData("a_-b/blobs/" + D)]
    [InlineData("a\0/manifests/latest")]
    [InlineData("a\\b/manifests/latest")]
    [InlineData("_catalog/tags/list")]
    [InlineData("/blobs/uploads/")]
    [InlineData("/blobs/uploads/id")]
    [InlineData("/tags/list")]
    public void Bad_names_are_NAME_INVALID(string path)
    {
        var error = Fails(path);
        Assert.Equal(OciErrorCode.NameInvalid, error.Code);
        Assert.Equal(400, error.HttpStatus);
    }

    [Fact]
    public void A_name_longer_than_255_characters_is_NAME_INVALID()
    {
        Assert.True(Ok(new string('a', 255) + "/manifests/latest").Kind == RouteKind.Manifest);
        Assert.Equal(OciErrorCode.NameInvalid, Fails(new string('a', 256) + "/manifests/latest").Code);
    }

    [Fact]
    public void Echoed_input_in_an_error_is_bounded()
    {
        var error = Fails(new string('A', 100_000) + "/manifests/latest");
        Assert.Equal(OciErrorCode.NameInvalid, error.Code);
        Assert.NotNull(error.Detail);
        Assert.True(error.Detail.ToString()!.Length < 1_000);
    }

    [Theory]
    [InlineData("a/blobs/sha256:..")]
    [InlineData("a/blobs/sha256:abc")]
    [InlineData("a/blobs/sha256:" + "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855")]
    [InlineData("a/blobs/md5:d41d8cd98f00b204e9800998ecf8427e")]
    [InlineData("a/blobs/latest")]
    [InlineData("a/blobs/..")]
    [InlineData("a/blobs/%2e%2e")]
    [InlineData("a/referrers/sha256:abc")]
    [InlineData("a/referrers/latest")]
    [InlineData("a/manifests/sha256:..")]
    [InlineData("a/manifests/sha256:abc")]
    [InlineData("a/manifests/sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709")]
    public void Bad_digests_are_DIGEST_INVALID(string path)
    {
        var error = Fails(path);
        Assert.Equal(OciErrorCode.DigestInvalid, error.Code);
        Assert.Equal(400, error.HttpStatus);
    }

    [Fact]
    public void A_bad_name_is_reported_before_a_bad_digest()
    {
        Assert.Equal(OciErrorCode.NameInvalid, Fails("../blobs/sha256:..").Code);
        Assert.Equal(OciErrorCode.NameInvalid, Fails("../manifests/sha256:abc").Code);
        Assert.Equal(OciErrorCode.NameInvalid, Fails("../manifests/..").Code);
    }

    [Theory]
    [InlineData("a/manifests/..")]
    [InlineData("a/manifests/.latest")]
    [InlineData("a/manifests/-x")]
    [InlineData("a/manifests/")]
    public void Bad_tags_do_not_route(string path)
    {
        var error = Fails(path);
        Assert.InRange(error.HttpStatus, 400, 404);
        Assert.NotEqual(OciErrorCode.NameInvalid, error.Code);
    }

    [Theory]
    [InlineData("a")]
    [InlineData("a/b")]
    [InlineData("a/b/c")]
    [InlineData("a/tags")]
    [InlineData("a/tags/lists")]
    [InlineData("a/manifest/latest")]
    [InlineData("a/blob/" + D)]
    [InlineData("a/uploads/id")]
    [InlineData("blobs/uploads/id")]
    [InlineData("a/blobs/uploads/id/")]
    [InlineData("a/blobs/uploads/id/extra")]
    [InlineData("_catalog/")]
    [InlineData("tags/list")]
    [InlineData("manifests/latest")]
    [InlineData("/")]
    public void Unknown_endpoints_are_404(string path) => Assert.Equal(404, Fails(path).HttpStatus);

    [Theory]
    // A decoded digest with slashes in it is just more path: it must not resolve to anything.
    [InlineData("a/blobs/sha256:../../etc")]
    [InlineData("a/manifests/sha256:../../etc")]
    [InlineData("a/referrers/sha256:../../etc/passwd")]
    [InlineData("a/blobs/sha256:../../../blobs/uploads/id")]
    [InlineData("a/blobs/sha256:../../../manifests/latest")]
    [InlineData("a/blobs/sha256:../../../tags/list")]
    [InlineData("a/blobs/sha256:../../../blobs/uploads/")]
    public void Digests_with_slashes_never_route(string path) => Assert.InRange(Fails(path).HttpStatus, 400, 404);
}
