using System.Net;
using Berth.Conformance.Tests.Support;

namespace Berth.Conformance.Tests;

/// <summary>
/// A manifest reference that is neither a valid tag nor a digest: nothing can be stored under it, so reads and
/// deletes answer 404 <c>MANIFEST_UNKNOWN</c> (what the v1.1 conformance suite and Distribution expect); a push is
/// the client's mistake and stays 400.
/// </summary>
public sealed class InvalidReferenceTests(RegistryFixture registry) : IClassFixture<RegistryFixture>
{
    private RegistryApi Api => registry.Api;

    public static TheoryData<string> InvalidTags => [".INVALID_MANIFEST_NAME", "-dash", "a+b", new string('a', 129)];

    [Theory]
    [MemberData(nameof(InvalidTags))]
    public async Task GET_of_an_invalid_tag_is_404_MANIFEST_UNKNOWN(string reference)
    {
        var repo = Repo.New("badref");
        await Api.PushImageAsync(repo, Build.OciImage());
        using var get = await Api.GetManifestAsync(repo, reference);
        await Check.ErrorAsync(get, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
    }

    [Theory]
    [MemberData(nameof(InvalidTags))]
    public async Task HEAD_of_an_invalid_tag_is_404(string reference)
    {
        var repo = Repo.New("badref");
        await Api.PushImageAsync(repo, Build.OciImage());
        using var head = await Api.HeadManifestAsync(repo, reference);
        await Check.StatusAsync(head, HttpStatusCode.NotFound);
    }

    [Theory]
    [MemberData(nameof(InvalidTags))]
    public async Task DELETE_of_an_invalid_tag_is_404_MANIFEST_UNKNOWN(string reference)
    {
        var repo = Repo.New("badref");
        await Api.PushImageAsync(repo, Build.OciImage());
        using var delete = await Api.DeleteAsync($"v2/{repo}/manifests/{reference}");
        await Check.ErrorAsync(delete, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
    }

    [Theory]
    [MemberData(nameof(InvalidTags))]
    public async Task PUT_of_an_invalid_tag_stays_400_MANIFEST_INVALID(string reference)
    {
        var repo = Repo.New("badref");
        var image = Build.OciImage();
        await Api.PushBlobsAsync(repo, image.Blobs);
        using var put = await Api.PutManifestAsync(repo, reference, image.Manifest);
        await Check.ErrorAsync(put, HttpStatusCode.BadRequest, "MANIFEST_INVALID");
    }

    [Fact]
    public async Task A_malformed_digest_on_GET_stays_400_DIGEST_INVALID()
    {
        // The conformance suite accepts 400 with an OCI error code or 404 here; a malformed digest is a client error.
        var repo = Repo.New("badref");
        await Api.PushImageAsync(repo, Build.OciImage());
        using var get = await Api.GetManifestAsync(repo, "sha256:totallywrong");
        await Check.ErrorAsync(get, HttpStatusCode.BadRequest, "DIGEST_INVALID");
    }
}
