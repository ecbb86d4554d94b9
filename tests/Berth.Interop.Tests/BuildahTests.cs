using System.Text;
using System.Text.Json.Nodes;

namespace Berth.Interop.Tests;

/// <summary>buildah (root, private vfs storage): build from scratch, push, then read it back with skopeo and buildah.</summary>
public sealed class BuildahTests(RegistryFixture registries) : IClassFixture<RegistryFixture>, IDisposable
{
    private readonly ToolSandbox _tools = new();
    private readonly ImageFactory _factory = new();

    [Theory]
    [InlineData(RegistryKind.Berth, "oci")]
    [InlineData(RegistryKind.Distribution, "oci")]
    [InlineData(RegistryKind.Berth, "docker")]
    [InlineData(RegistryKind.Distribution, "docker")]
    public async Task Built_image_pushes_and_reads_back(RegistryKind kind, string format)
    {
        var server = await registries.GetAsync(kind);
        var payload = _factory.RandomBytes(200 * 1024);
        var label = Convert.ToHexStringLower(_factory.RandomBytes(8));
        var payloadFile = Path.Combine(_tools.Root, "payload.bin");
        await File.WriteAllBytesAsync(payloadFile, payload);
        var repo = Names.Repo("buildah");
        var remote = $"docker://{server.HostPort}/{repo}:built";

        (await _tools.BuildahAsync("from", "--name", "work", "scratch")).EnsureSuccess();
        (await _tools.BuildahAsync("copy", "work", payloadFile, "/data/payload.bin")).EnsureSuccess();
        (await _tools.BuildahAsync("config", "--label", $"org.berth.test={label}", "--cmd", "/data/payload.bin", "work")).EnsureSuccess();
        (await _tools.BuildahAsync("commit", "--format", format, "work", "localhost/built:1")).EnsureSuccess();
        var digestFile = Path.Combine(_tools.Root, "pushed.digest");
        (await _tools.BuildahAsync("push", "--tls-verify=false", "--digestfile", digestFile, "localhost/built:1", remote)).EnsureSuccess();
        var pushed = File.ReadAllText(digestFile).Trim();

        var raw = (await _tools.SkopeoAsync("inspect", "--raw", "--tls-verify=false", remote)).EnsureSuccess();
        Assert.Equal(pushed, Blob.Sha256Digest(Encoding.UTF8.GetBytes(raw.Stdout)));
        Assert.Equal(format == "oci" ? MediaTypes.OciManifest : MediaTypes.DockerManifest, (string?)JsonNode.Parse(raw.Stdout)!["mediaType"]);
        var config = JsonNode.Parse((await _tools.SkopeoAsync("inspect", "--config", "--raw", "--tls-verify=false", remote)).EnsureSuccess().Stdout)!;
        Assert.Equal(label, (string?)config["config"]!["Labels"]!["org.berth.test"]);

        // The file inside the pushed layer is the one we copied in.
        var pulled = new DirLayout(_tools.NewPath("pulled"));
        (await _tools.SkopeoAsync("copy", "--preserve-digests", "--src-tls-verify=false", remote, pulled.Reference)).EnsureSuccess();
        var manifest = pulled.ReadManifest();
        Assert.Equal(pushed, Blob.Sha256Digest(manifest));
        var layers = JsonNode.Parse(manifest)!["layers"]!.AsArray().Select(l => (string)l!["digest"]!).ToList();
        var layer = Assert.Single(layers);
        var files = ImageFactory.ReadLayerFiles(pulled.ReadBlob(layer));
        Assert.True(files.TryGetValue("data/payload.bin", out var content), $"files: {string.Join(", ", files.Keys)}");
        Assert.Equal(payload, content);

        // buildah pulls it back into empty storage as the same image.
        var configDigest = (string)JsonNode.Parse(manifest)!["config"]!["digest"]!;
        (await _tools.BuildahAsync("rm", "--all")).EnsureSuccess();
        (await _tools.BuildahAsync("rmi", "--all", "--force")).EnsureSuccess();
        (await _tools.BuildahAsync("pull", "--quiet", "--tls-verify=false", remote)).EnsureSuccess();
        var id = (await _tools.BuildahAsync("images", "--quiet", "--no-trunc")).EnsureSuccess().Stdout.Trim();
        Assert.Equal(configDigest, id.StartsWith("sha256:", StringComparison.Ordinal) ? id : "sha256:" + id);
    }

    public void Dispose() => _tools.Dispose();
}
