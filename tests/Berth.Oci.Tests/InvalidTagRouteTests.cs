using Berth.Oci;

namespace Berth.Oci.Tests;

/// <summary>The parser marks a manifest reference that is no valid tag so the caller can answer per method.</summary>
public class InvalidTagRouteTests
{
    private static OciError Fails(string path)
    {
        var result = RegistryRoute.Parse(path);
        Assert.False(result.IsSuccess, $"'{path}' should not route");
        return result.Error;
    }

    [Theory]
    [InlineData("a/manifests/.INVALID_MANIFEST_NAME")]
    [InlineData("a/b/manifests/-x")]
    [InlineData("a/manifests/a+b")]
    public void A_reference_that_is_no_tag_is_an_invalid_tag(string path)
    {
        var error = Fails(path);
        Assert.True(RegistryRoute.IsInvalidTag(error));
        Assert.Equal(400, error.HttpStatus);
    }

    [Theory]
    [InlineData("a/manifests/sha256:totallywrong")]
    [InlineData("a/manifests/md5:0123")]
    [InlineData("A/manifests/latest")]
    [InlineData("a/blobs/.x")]
    public void Malformed_digests_names_and_other_routes_are_not_invalid_tags(string path) =>
        Assert.False(RegistryRoute.IsInvalidTag(Fails(path)));
}
