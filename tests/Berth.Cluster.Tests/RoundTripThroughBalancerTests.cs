using System.Net;
using System.Text.Json.Nodes;
using Berth.Cluster.Tests.Support;

namespace Berth.Cluster.Tests;

/// <summary>
/// skopeo, podman and the berth client push and pull through nginx round robin over three nodes on PostgreSQL and
/// s3rver: every request of one push may land on another node. Digests are equal after the round trip.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class RoundTripThroughBalancerTests(ClusterFixture cluster) : IDisposable
{
    private const string Creds = "admin:" + ClusterFixture.AdminPassword;
    private readonly ToolSandbox _tools = new();
    private readonly ImageFactory _factory = new();

    private string Remote(string repo, string tag) => $"{cluster.Balancer.HostPort}/admin/{repo}:{tag}";

    [Fact]
    public async Task Berth_pushes_a_256_MiB_layer_in_chunks_and_skopeo_pulls_it_back()
    {
        // One uncompressed tar layer of 256 MiB of random bytes (no gzip: compressing it would cost more than the push).
        var payload = new byte[256 * 1024 * 1024];
        new Random(10).NextBytes(payload);
        var layer = new Blob("application/vnd.oci.image.layer.v1.tar", ImageFactory.Tar(new Dictionary<string, byte[]> { ["big.bin"] = payload }));
        payload = [];
        var config = new Blob(MediaTypes.OciConfig, ImageFactory.Json(new JsonObject
        {
            ["architecture"] = "amd64",
            ["os"] = "linux",
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray(layer.Digest) },
        }));
        var manifest = new Blob(MediaTypes.OciManifest, ImageFactory.Json(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.OciManifest,
            ["config"] = config.Descriptor(),
            ["layers"] = new JsonArray(layer.Descriptor()),
        }));
        var source = OciLayout.Create(_tools.NewPath("big"));
        source.WriteBlob(layer);
        source.WriteBlob(config);
        source.WriteBlob(manifest);
        File.WriteAllBytes(source.IndexPath, ImageFactory.Json(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["manifests"] = new JsonArray(manifest.Descriptor(d => d["annotations"] = new JsonObject { ["org.opencontainers.image.ref.name"] = "v1" })),
        }));

        // berth sends a blob over 4 MiB as POST, PATCH (streamed, Content-Range) and PUT: three requests, round robin.
        var push = await BerthCli.RunAsync(_tools, "push", "--creds", Creds, source.Reference("v1"), Remote("big", "v1"));
        push.EnsureSuccess();

        var back = OciLayout.Create(_tools.NewPath("back"));
        (await _tools.SkopeoAsync("copy", "--preserve-digests", "--src-tls-verify=false", "--src-creds", Creds,
            $"docker://{Remote("big", "v1")}", back.Reference("v1"))).EnsureSuccess();
        Assert.Equal(manifest.Digest, back.Resolve("v1").Digest);
        Assert.Equal(new[] { config.Digest, layer.Digest, manifest.Digest }.Order(StringComparer.Ordinal), back.BlobDigests());
        Assert.Equal(layer.Size, new FileInfo(back.BlobPath(layer.Digest)).Length);
        Console.WriteLine($"256 MiB: berth push {push.Elapsed.TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task Skopeo_pushes_many_small_layers_and_podman_pulls_and_pushes_them()
    {
        var image = _factory.CreateImage(layers: 40, filesPerLayer: 2, maxFileBytes: 4096);
        var source = _tools.NewLayout((image, "v1"));
        (await _tools.SkopeoAsync("copy", "--preserve-digests", "--dest-tls-verify=false", "--dest-creds", Creds,
            source.Reference("v1"), $"docker://{Remote("small", "v1")}")).EnsureSuccess();

        var back = OciLayout.Create(_tools.NewPath("back"));
        (await _tools.SkopeoAsync("copy", "--preserve-digests", "--src-tls-verify=false", "--src-creds", Creds,
            $"docker://{Remote("small", "v1")}", back.Reference("v1"))).EnsureSuccess();
        Assert.Equal(image.Manifest.Digest, back.Resolve("v1").Digest);
        Assert.Equal(image.AllContent.Select(b => b.Digest).Distinct().Order(StringComparer.Ordinal), back.BlobDigests());

        // podman: the image id is the config digest; pushed to another repository, the config arrives unchanged.
        (await _tools.PodmanAsync("pull", "--tls-verify=false", "--creds", Creds, Remote("small", "v1"))).EnsureSuccess();
        var id = (await _tools.PodmanAsync("image", "inspect", "--format", "{{.Id}}", Remote("small", "v1"))).EnsureSuccess().Stdout.Trim();
        Assert.Equal(image.Config.Hex, id);
        (await _tools.PodmanAsync("push", "--tls-verify=false", "--creds", Creds, Remote("small", "v1"), Remote("small-again", "v1"))).EnsureSuccess();
        var pushed = JsonNode.Parse((await _tools.SkopeoAsync("inspect", "--raw", "--tls-verify=false", "--creds", Creds, $"docker://{Remote("small-again", "v1")}")).EnsureSuccess().Stdout)!;
        Assert.Equal(image.Config.Digest, (string)pushed["config"]!["digest"]!);
        Assert.Equal(40, pushed["layers"]!.AsArray().Count);
    }

    [Fact]
    public async Task A_multi_platform_index_round_trips_with_skopeo_all()
    {
        var index = _factory.CreateIndex();
        var source = _tools.NewLayout((index, "multi"));
        (await _tools.SkopeoAsync("copy", "--all", "--preserve-digests", "--dest-tls-verify=false", "--dest-creds", Creds,
            source.Reference("multi"), $"docker://{Remote("multi", "v1")}")).EnsureSuccess();

        var back = OciLayout.Create(_tools.NewPath("back"));
        (await _tools.SkopeoAsync("copy", "--all", "--preserve-digests", "--src-tls-verify=false", "--src-creds", Creds,
            $"docker://{Remote("multi", "v1")}", back.Reference("multi"))).EnsureSuccess();
        Assert.Equal(index.Manifest.Digest, back.Resolve("multi").Digest);
        Assert.Equal(index.AllContent.Select(b => b.Digest).Distinct().Order(StringComparer.Ordinal), back.BlobDigests());
    }

    [Fact]
    public async Task An_artifact_with_a_subject_is_listed_as_a_referrer_and_berth_pulls_it()
    {
        var image = _factory.CreateImage(layers: 1);
        var artifact = _factory.CreateArtifact(image);
        var source = _tools.NewLayout((image, "image"), (artifact, "sbom"));
        foreach (var tag in new[] { "image", "sbom" })
        {
            (await _tools.SkopeoAsync("copy", "--preserve-digests", "--dest-tls-verify=false", "--dest-creds", Creds,
                source.Reference(tag), $"docker://{Remote("artifact", tag)}")).EnsureSuccess();
        }

        // The referrers list, asked three times so every node answers it once.
        using var http = ClusterFixture.Client(cluster.Balancer.BaseUri);
        for (var i = 0; i < 3; i++)
        {
            using var response = await http.GetAsync(new Uri($"v2/admin/artifact/referrers/{image.Manifest.Digest}", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var referrers = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["manifests"]!.AsArray();
            Assert.Equal(artifact.Manifest.Digest, (string)Assert.Single(referrers)!["digest"]!);
        }

        var back = OciLayout.Create(_tools.NewPath("back"));
        (await BerthCli.RunAsync(_tools, "pull", "--creds", Creds, Remote("artifact", "sbom"), back.Reference("sbom"))).EnsureSuccess();
        Assert.Equal(artifact.Manifest.Digest, back.Resolve("sbom").Digest);
        Assert.Equal(artifact.AllContent.Select(b => b.Digest).Distinct().Order(StringComparer.Ordinal), back.BlobDigests());
    }

    public void Dispose() => _tools.Dispose();
}
