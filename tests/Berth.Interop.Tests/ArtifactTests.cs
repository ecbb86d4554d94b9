using System.Net;
using System.Text.Json.Nodes;

namespace Berth.Interop.Tests;

/// <summary>
/// OCI 1.1 artifacts: a manifest with <c>artifactType</c> and a <c>subject</c>. skopeo moves them as opaque manifests;
/// the referrers API is checked on Berth only (Distribution 2.8.2 predates it).
/// </summary>
public sealed class ArtifactTests(RegistryFixture registries) : IClassFixture<RegistryFixture>, IDisposable
{
    private readonly ToolSandbox _tools = new();
    private readonly ImageFactory _factory = new();

    [Theory]
    [InlineData(RegistryKind.Berth)]
    [InlineData(RegistryKind.Distribution)]
    public async Task Artifact_with_subject_round_trips_through_skopeo(RegistryKind kind)
    {
        var server = await registries.GetAsync(kind);
        var image = _factory.CreateImage(layers: 1);
        var artifact = _factory.CreateArtifact(image);
        var source = _tools.NewLayout((image, "image"), (artifact, "sbom"));
        var repo = Names.Repo("artifact");
        var host = $"docker://{server.HostPort}/{repo}";

        (await _tools.SkopeoAsync("copy", "--preserve-digests", "--dest-tls-verify=false", source.Reference("image"), $"{host}:image")).EnsureSuccess();
        (await _tools.SkopeoAsync("copy", "--preserve-digests", "--dest-tls-verify=false", source.Reference("sbom"), $"{host}:sbom")).EnsureSuccess();

        using var http = new RegistryHttp(server);
        await http.AssertManifestAsync(repo, "sbom", artifact.Manifest);
        await http.AssertBlobsAsync(repo, [artifact.Config, .. artifact.Layers]);

        var back = OciLayout.Create(_tools.NewPath("back"));
        (await _tools.SkopeoAsync("copy", "--preserve-digests", "--src-tls-verify=false", $"{host}:sbom", back.Reference("sbom"))).EnsureSuccess();
        LayoutAssert.HoldsExactly(back, "sbom", artifact);

        if (kind == RegistryKind.Berth)
        {
            await AssertReferrersAsync(http, repo, image, artifact);
        }
    }

    [Fact]
    public async Task Berth_lists_referrers_of_an_artifact_pushed_over_http()
    {
        var server = await registries.GetAsync(RegistryKind.Berth);
        var index = _factory.CreateIndex();
        var sbom = _factory.CreateArtifact(index);
        var signature = _factory.CreateArtifact(index, "application/vnd.berth.test.signature.v1+json", blobs: 2);
        var repo = Names.Repo("referrers");
        using var http = new RegistryHttp(server);

        // The subject may arrive after its referrers.
        using (var put = await http.PushAsync(repo, sbom.Manifest.Digest, sbom))
        {
            Assert.Equal(index.Manifest.Digest, put.Headers.TryGetValues("OCI-Subject", out var s) ? s.Single() : null);
        }

        using (await http.PushAsync(repo, "multi", index))
        {
        }

        using (var put = await http.PushAsync(repo, signature.Manifest.Digest, signature))
        {
            Assert.Equal(index.Manifest.Digest, put.Headers.TryGetValues("OCI-Subject", out var s) ? s.Single() : null);
        }

        var all = await http.GetReferrersAsync(repo, index.Manifest.Digest);
        Assert.Equal(HttpStatusCode.OK, all.Status);
        Assert.Equal(MediaTypes.OciIndex, all.ContentType);
        var descriptors = all.Body!["manifests"]!.AsArray();
        Assert.Equal(
            new[] { sbom.Manifest.Digest, signature.Manifest.Digest }.Order(StringComparer.Ordinal),
            descriptors.Select(d => (string)d!["digest"]!).Order(StringComparer.Ordinal));

        var filtered = await http.GetReferrersAsync(repo, index.Manifest.Digest, signature.ArtifactType);
        Assert.Equal(HttpStatusCode.OK, filtered.Status);
        Assert.Equal("artifactType", filtered.FiltersApplied);
        Assert.Equal([signature.Manifest.Digest], filtered.Body!["manifests"]!.AsArray().Select(d => (string)d!["digest"]!));

        // A digest nothing refers to: an empty index, never 404.
        var none = await http.GetReferrersAsync(repo, index.Images[0].Manifest.Digest);
        Assert.Equal(HttpStatusCode.OK, none.Status);
        Assert.Empty(none.Body!["manifests"]!.AsArray());

        // Deleting a referrer removes it from the list.
        var sbomGone = await _tools.SkopeoAsync("delete", "--tls-verify=false", $"docker://{server.HostPort}/{repo}@{sbom.Manifest.Digest}");
        sbomGone.EnsureSuccess();
        var after = await http.GetReferrersAsync(repo, index.Manifest.Digest);
        Assert.Equal([signature.Manifest.Digest], after.Body!["manifests"]!.AsArray().Select(d => (string)d!["digest"]!));
    }

    private static async Task AssertReferrersAsync(RegistryHttp http, string repo, ImageFixture subject, ArtifactFixture artifact)
    {
        var referrers = await http.GetReferrersAsync(repo, subject.Manifest.Digest);
        Assert.Equal(HttpStatusCode.OK, referrers.Status);
        Assert.Equal(MediaTypes.OciIndex, referrers.ContentType);
        var descriptor = Assert.Single(referrers.Body!["manifests"]!.AsArray())!;
        Assert.Equal(MediaTypes.OciManifest, (string?)descriptor["mediaType"]);
        Assert.Equal(artifact.Manifest.Digest, (string?)descriptor["digest"]);
        Assert.Equal(artifact.Manifest.Size, (long?)descriptor["size"]);
        Assert.Equal(artifact.ArtifactType, (string?)descriptor["artifactType"]);
        var annotations = JsonNode.Parse(artifact.Manifest.Bytes)!["annotations"]!.AsObject();
        Assert.True(JsonNode.DeepEquals(annotations, descriptor["annotations"]), $"annotations: {descriptor["annotations"]?.ToJsonString()}");

        var other = await http.GetReferrersAsync(repo, subject.Manifest.Digest, "application/vnd.berth.test.none");
        Assert.Equal(HttpStatusCode.OK, other.Status);
        Assert.Empty(other.Body!["manifests"]!.AsArray());
    }

    public void Dispose() => _tools.Dispose();
}
