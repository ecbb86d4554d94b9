using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Berth.Interop.Tests;

/// <summary>
/// podman (root, private vfs storage): load an image from an OCI layout, push it, forget it, pull it back; the image
/// id (config digest), the layers' diff ids and every file inside must survive.
/// </summary>
public sealed class PodmanTests(RegistryFixture registries) : IClassFixture<RegistryFixture>, IDisposable
{
    private readonly ToolSandbox _tools = new();
    private readonly ImageFactory _factory = new();

    [Theory]
    [InlineData(RegistryKind.Berth, "oci")]
    [InlineData(RegistryKind.Distribution, "oci")]
    [InlineData(RegistryKind.Berth, "v2s2")]
    [InlineData(RegistryKind.Distribution, "v2s2")]
    public async Task Push_and_pull_round_trip(RegistryKind kind, string format)
    {
        var server = await registries.GetAsync(kind);
        var image = _factory.CreateImage(layers: 2);
        var source = _tools.NewLayout((image, "v1"));
        var repo = Names.Repo("podman");
        var remote = $"{server.HostPort}/{repo}:v1";

        (await _tools.PodmanAsync("pull", "-q", source.Reference("v1"))).EnsureSuccess();
        await AssertImageAsync(image.Config.Hex, image);

        var digestFile = Path.Combine(_tools.Root, "pushed.digest");
        (await _tools.PodmanAsync("push", "--tls-verify=false", "--format", format, "--digestfile", digestFile, image.Config.Hex, $"docker://{remote}")).EnsureSuccess();
        var pushed = File.ReadAllText(digestFile).Trim();

        // What landed in the registry: the manifest podman reported, the same config, layers with the same content.
        using var http = new RegistryHttp(server);
        var manifest = await http.GetManifestAsync(repo, "v1");
        Assert.Equal(HttpStatusCode.OK, manifest.Status);
        Assert.Equal(pushed, manifest.Digest);
        Assert.Equal(pushed, Blob.Sha256Digest(manifest.Bytes));
        Assert.Equal(format == "oci" ? MediaTypes.OciManifest : MediaTypes.DockerManifest, manifest.ContentType);
        var json = JsonNode.Parse(manifest.Bytes)!;
        Assert.Equal(image.Config.Digest, (string?)json["config"]!["digest"]);
        await http.AssertBlobsAsync(repo, [image.Config]);
        var layers = json["layers"]!.AsArray().Select(l => (string)l!["digest"]!).ToList();
        Assert.Equal(image.Layers.Count, layers.Count);
        for (var i = 0; i < layers.Count; i++)
        {
            var (status, bytes) = await http.GetBlobAsync(repo, layers[i]);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(layers[i], Blob.Sha256Digest(bytes));
            Assert.Equal(image.DiffIds[i], "sha256:" + Convert.ToHexStringLower(SHA256.HashData(ImageFactory.Gunzip(bytes))));
        }

        (await _tools.PodmanAsync("rmi", "--all", "--force")).EnsureSuccess();
        var listed = (await _tools.PodmanAsync("images", "--quiet", "--no-trunc")).EnsureSuccess();
        Assert.Equal("", listed.Stdout.Trim());

        (await _tools.PodmanAsync("pull", "-q", "--tls-verify=false", remote)).EnsureSuccess();
        await AssertImageAsync(remote, image);
        var inspect = JsonNode.Parse((await _tools.PodmanAsync("image", "inspect", remote)).EnsureSuccess().Stdout)![0]!;
        Assert.Equal(pushed, (string?)inspect["Digest"]);
        Assert.Contains($"{server.HostPort}/{repo}@{pushed}", inspect["RepoDigests"]!.AsArray().Select(d => (string)d!));

        // Every file made it through: export the pulled image to an OCI layout and read its layers.
        var exported = OciLayout.Create(_tools.NewPath("export"));
        (await _tools.PodmanAsync("push", "--format", "oci", remote, exported.Reference("out"))).EnsureSuccess();
        var exportedManifest = JsonNode.Parse(exported.ReadBlob(exported.Resolve("out").Digest))!;
        var exportedLayers = exportedManifest["layers"]!.AsArray().Select(l => exported.ReadBlob((string)l!["digest"]!)).ToList();
        Assert.Equal(image.Layers.Count, exportedLayers.Count);
        for (var i = 0; i < exportedLayers.Count; i++)
        {
            LayoutAssert.SameFiles(image.LayerFiles[i], ImageFactory.ReadLayerFiles(exportedLayers[i]));
        }
    }

    /// <summary>podman's view of the image: id = config digest, rootfs layers = the fixture's diff ids.</summary>
    private async Task AssertImageAsync(string reference, ImageFixture image)
    {
        var inspect = JsonNode.Parse((await _tools.PodmanAsync("image", "inspect", reference)).EnsureSuccess().Stdout)![0]!;
        Assert.Equal(image.Config.Hex, (string?)inspect["Id"]);
        Assert.Equal(image.DiffIds, inspect["RootFS"]!["Layers"]!.AsArray().Select(l => (string)l!));
        Assert.Equal(image.Platform.Architecture, (string?)inspect["Architecture"]);
    }

    public void Dispose() => _tools.Dispose();
}
