using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Conformance.Tests.Support;

namespace Berth.Conformance.Tests;

/// <summary>The referrers API (end-12a/b): an OCI index of manifests whose subject is the digest.</summary>
public sealed class ReferrersTests(RegistryFixture registry) : IClassFixture<RegistryFixture>
{
    private const string TypeA = "application/vnd.example.sbom.v1";
    private const string TypeB = "application/vnd.example.signature.v1";
    private const string IndexType = "application/vnd.example.bundle.v1";

    private RegistryApi Api => registry.Api;

    private sealed record Expected(Manifest Manifest, string ArtifactType, string Annotation);

    /// <summary>A subject image and five referrers: artifactType A and B, config-typed A and B, and an index of type IndexType.</summary>
    private async Task<(string Repo, Image Subject, List<Expected> Referrers)> SetupAsync()
    {
        var repo = Repo.New("referrers");
        var subject = Build.OciImage();
        await Api.PushImageAsync(repo, subject, "subject");
        var referrers = new List<Expected>();
        foreach (var (type, inConfig, note) in new[] { (TypeA, false, "layer a"), (TypeB, false, "layer b"), (TypeA, true, "config a"), (TypeB, true, "config b") })
        {
            var (manifest, blobs) = Build.Artifact(subject.Manifest, type, note, typeInConfig: inConfig);
            await Api.PushBlobsAsync(repo, blobs);
            using var put = await Api.PutManifestAsync(repo, manifest.Digest, manifest);
            await Check.StatusAsync(put, HttpStatusCode.Created);
            referrers.Add(new Expected(manifest, type, note));
        }

        var other = Build.OciImage();
        await Api.PushImageAsync(repo, other, tag: null);
        var index = Build.OciIndex([other.Manifest], new JsonObject { ["org.example.conformance"] = "index" }, subject.Manifest.Descriptor(), IndexType);
        using var putIndex = await Api.PutManifestAsync(repo, index.Digest, index);
        await Check.StatusAsync(putIndex, HttpStatusCode.Created);
        referrers.Add(new Expected(index, IndexType, "index"));
        return (repo, subject, referrers);
    }

    private async Task<(JsonElement Index, HttpResponseMessage Response)> ReferrersAsync(string repo, string digest, string? artifactType = null)
    {
        var query = artifactType is null ? "" : "?artifactType=" + Uri.EscapeDataString(artifactType);
        var response = await Api.GetAsync($"v2/{repo}/referrers/{digest}{query}");
        await Check.StatusAsync(response, HttpStatusCode.OK);
        Assert.Equal(MediaTypes.OciIndex, response.Content.Headers.ContentType?.MediaType);
        var index = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync()).RootElement.Clone();
        Assert.Equal(2, index.GetProperty("schemaVersion").GetInt32());
        Assert.Equal(MediaTypes.OciIndex, index.GetProperty("mediaType").GetString());
        return (index, response);
    }

    private static List<JsonElement> Descriptors(JsonElement index) =>
        index.TryGetProperty("manifests", out var m) && m.ValueKind == JsonValueKind.Array ? m.EnumerateArray().ToList() : [];

    private static void AssertListed(List<JsonElement> descriptors, Expected expected)
    {
        var match = descriptors.Where(d => d.GetProperty("digest").GetString() == expected.Manifest.Digest).ToList();
        Assert.True(match.Count == 1, $"referrer {expected.Manifest.Digest} ({expected.Annotation}) listed {match.Count} times");
        var d = match[0];
        Assert.Equal(expected.Manifest.MediaType, d.GetProperty("mediaType").GetString());
        Assert.Equal(expected.Manifest.Size, d.GetProperty("size").GetInt64());
        Assert.Equal(expected.ArtifactType, d.TryGetProperty("artifactType", out var at) ? at.GetString() : null);
        Assert.True(d.TryGetProperty("annotations", out var annotations), $"referrer {expected.Annotation} has no annotations");
        Assert.Equal(expected.Annotation, annotations.GetProperty("org.example.conformance").GetString());
    }

    [Fact]
    public async Task Referrers_lists_every_manifest_with_that_subject_with_artifactType_and_annotations()
    {
        var (repo, subject, referrers) = await SetupAsync();
        var (index, response) = await ReferrersAsync(repo, subject.Manifest.Digest);
        response.Dispose();
        var descriptors = Descriptors(index);
        Assert.Equal(referrers.Count, descriptors.Count);
        foreach (var expected in referrers)
        {
            AssertListed(descriptors, expected);
        }
    }

    [Theory]
    [InlineData(TypeA, 2)]
    [InlineData(TypeB, 2)]
    [InlineData(IndexType, 1)]
    [InlineData("application/vnd.example.none", 0)]
    public async Task ArtifactType_filter_returns_only_that_type_and_says_so(string artifactType, int count)
    {
        var (repo, subject, referrers) = await SetupAsync();
        var (index, response) = await ReferrersAsync(repo, subject.Manifest.Digest, artifactType);
        var applied = Check.Header(response, "OCI-Filters-Applied");
        response.Dispose();
        Assert.Equal("artifactType", applied);
        var descriptors = Descriptors(index);
        Assert.Equal(count, descriptors.Count);
        foreach (var expected in referrers.Where(r => r.ArtifactType == artifactType))
        {
            AssertListed(descriptors, expected);
        }
    }

    [Fact]
    public async Task Digest_with_no_referrers_is_200_with_an_empty_index()
    {
        var repo = Repo.New("referrers");
        var image = Build.OciImage();
        await Api.PushImageAsync(repo, image, "lonely");
        foreach (var digest in new[] { image.Manifest.Digest, Digests.Random() })
        {
            var (index, response) = await ReferrersAsync(repo, digest);
            response.Dispose();
            Assert.Empty(Descriptors(index));
        }
    }

    [Fact]
    public async Task Referrers_in_a_repository_never_pushed_is_200_with_an_empty_index()
    {
        var (index, response) = await ReferrersAsync(Repo.New("referrers-none"), Digests.Random());
        response.Dispose();
        Assert.Empty(Descriptors(index));
    }

    [Fact]
    public async Task Referrers_of_a_subject_not_yet_pushed_are_listed()
    {
        var repo = Repo.New("referrers");
        var subject = Build.OciImage(); // pushed only after the referrer
        var (artifact, blobs) = Build.Artifact(subject.Manifest, TypeA, "early");
        await Api.PushBlobsAsync(repo, blobs);
        await Api.PushManifestAsync(repo, artifact.Digest, artifact);

        var (before, r1) = await ReferrersAsync(repo, subject.Manifest.Digest);
        r1.Dispose();
        AssertListed(Descriptors(before), new Expected(artifact, TypeA, "early"));

        await Api.PushImageAsync(repo, subject, "late");
        var (after, r2) = await ReferrersAsync(repo, subject.Manifest.Digest);
        r2.Dispose();
        AssertListed(Descriptors(after), new Expected(artifact, TypeA, "early"));
    }

    [Fact]
    public async Task Referrers_are_scoped_to_the_repository()
    {
        var (repo, subject, _) = await SetupAsync();
        var other = Repo.New("referrers-other");
        await Api.PushImageAsync(other, subject, "same-subject");
        var (index, response) = await ReferrersAsync(other, subject.Manifest.Digest);
        response.Dispose();
        Assert.Empty(Descriptors(index));
        Assert.NotEqual(repo, other);
    }

    [Fact]
    public async Task Deleted_referrer_disappears_from_the_list()
    {
        var (repo, subject, referrers) = await SetupAsync();
        var gone = referrers[0];
        using var delete = await Api.DeleteAsync($"v2/{repo}/manifests/{gone.Manifest.Digest}");
        await Check.StatusAsync(delete, HttpStatusCode.Accepted);
        var (index, response) = await ReferrersAsync(repo, subject.Manifest.Digest);
        response.Dispose();
        var descriptors = Descriptors(index);
        Assert.DoesNotContain(descriptors, d => d.GetProperty("digest").GetString() == gone.Manifest.Digest);
        Assert.Equal(referrers.Count - 1, descriptors.Count);
    }

    [Theory]
    [InlineData("12345")]
    [InlineData("sha256:xyz")]
    [InlineData("sha256:0123")]
    public async Task Referrers_with_an_invalid_digest_is_400(string digest)
    {
        var repo = Repo.New("referrers");
        await Api.PushImageAsync(repo, Build.OciImage());
        using var response = await Api.GetAsync($"v2/{repo}/referrers/{digest}");
        await Check.StatusAsync(response, HttpStatusCode.BadRequest);
    }
}
